/**
 * Today's PyTorch parallel APIs on the simulator: DeviceMesh groups laid out row-major as torch
 * does, DTensor redistributions as collectives with their gradients, parallelize_module plans as
 * torchtitan writes them (placements per rank as DTensor names them, the ledger at the .py
 * lines, verified against world size 1 on a 2-D and a 3-D mesh), the three plan mistakes each
 * caught at its line, and pipelining schedules whose measured bubble is (p−1)/m.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/runner/backend.js';
import { pythonAvailable } from '../../../src/runner/python/interpreter.js';
import { runPythonFile } from '../../../src/runner/python/run-python.js';
import type { Report } from '../../../src/report/types.js';
import { summarize } from '../../../src/cli/summary.js';

const root = path.resolve(__dirname, '..', '..', '..');
const ex = (f: string) => path.join(root, 'examples', 'python', f);
const tp = (f: string) => path.join(root, 'test', 'python', f);

async function run(file: string, n: number, args: string[] = []): Promise<{ report: Report; out: Map<number, string> }> {
  const out = new Map<number, string>();
  const report = await runPythonFile(file, { nprocPerNode: n, args, onOutput: (rank, _s, text) => out.set(rank, (out.get(rank) ?? '') + text) });
  return { report, out };
}

/** 1-based line of the first line of `file` holding `needle`. */
function lineOf(file: string, needle: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `"${needle}" in ${file}`);
  return i + 1;
}

const skip = pythonAvailable() ? false : 'no WebAssembly stack switching in this Node (run with --experimental-wasm-stack-switching)';

describe('DeviceMesh, DTensor, parallelize_module, pipelining', { skip }, () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  test('init_device_mesh: row-major groups per axis, slicing by name, coordinates', async () => {
    const { report, out } = await run(tp('device_mesh.py'), 8);
    assert.deepEqual(report.errors, []);
    // rank r sits at (r // 4, (r // 2) % 2, r % 2) on (dp, tp, pp)
    for (let r = 0; r < 8; r++) {
      const [dp, t, pp] = [r >> 2, (r >> 1) & 1, r & 1];
      const g = (stride: number, at: number) => `[${r - at * stride}, ${r - at * stride + stride}]`;
      assert.match(out.get(r)!, new RegExp(`groups ${esc(g(4, dp))} ${esc(g(2, t))} ${esc(g(1, pp))} ${esc(g(2, t))}`));
      assert.match(out.get(r)!, new RegExp(`coords ${dp} ${t} ${pp} ${esc(`[${dp}, ${t}, ${pp}]`)}`));
      assert.match(out.get(r)!, /sizes 8 2 4 True/);
    }
  });

  test('redistribute: one collective per change of placement, at its line, with the gradient torch computes', async () => {
    const file = tp('dtensor_basics.py');
    const { report, out } = await run(file, 2);
    assert.deepEqual(report.errors, []);
    assert.match(out.get(0)!, /distributed \(8, 4\) \(4, 4\) \(Shard\(dim=0\),\)/);
    // x.grad = 2·n·x (see the script): n = 2
    assert.match(out.get(1)!, /grad\/x 4\.0000 4\.0000/);
    const c = report.collectives;
    // [8, 4] float32 = 128 B each; Replicate → Shard(1) is a local narrow (no collective)
    assert.deepEqual(c.map((e) => [e.op, e.phase, e.bytes, e.source?.line]), [
      ['all_gather', 'forward', 128, lineOf(file, 'g = s.redistribute')],
      ['all_reduce', 'forward', 128, lineOf(file, 'r = p.redistribute')],
      // the backward of Replicate → Shard(1) all-gathers the gradient, at the line that sharded
      ['all_gather', 'backward', 128, lineOf(file, 's = d.redistribute')],
      ['all_gather', 'forward', 128, lineOf(file, 'full_tensor()')],
    ]);
  });

  test('llama_dp_tp.py (dp × tp = 2 × 2): verified against world size 1; placements per rank as DTensor writes them', async () => {
    const { report, out } = await run(ex('llama_dp_tp.py'), 4);
    assert.deepEqual(report.errors, []);
    assert.equal(report.verification.passed, true, JSON.stringify(report.verification.firstDivergence));
    assert.equal(report.exitCode, 0);
    // the report's mesh is init_device_mesh's: (dp, tp) = (2, 2), row-major
    assert.deepEqual([report.mesh.axes, report.mesh.sizes, report.mesh.worldSize], [['dp', 'tp'], [2, 2], 4]);
    assert.deepEqual(report.mesh.coords[2], { dp: 1, tp: 0 });
    assert.match(summarize(report), /^Mesh {4}dp=2 × tp=2 = 4 ranks$/m);
    // every block's modules and all 20 gradients were compared
    assert.equal(report.verification.grads.length, 2 * 9 + 2);
    // per block: 2 norms, q/k/v/o, w1/w3/w2 and the block (attention and feed_forward hand on wo's and
    // w2's outputs: seen through), plus norm and output
    assert.ok(report.verification.outputs.length >= 2 * 10 + 2);
    const note = Object.fromEntries(report.verification.grads.map((g) => [g.name, g.note]));
    assert.equal(note['layers.0.attention.wq.weight'], 'Shard(0) by index ranges');
    assert.equal(note['layers.1.feed_forward.w2.weight'], 'Shard(1) by index ranges');
    assert.equal(note['layers.0.ffn_norm.weight'], 'replicated'); // its SequenceParallel gradient was all-reduced
    const wqOut = report.verification.outputs.find((o) => o.name === 'layers.0.attention.wq')!;
    assert.equal(wqOut.note, 'Shard(0) over 2 ranks (rank stride 2), Shard(2) over 2 ranks'); // batch over dp, heads over tp
    // Shards: the report's placement per rank
    const shard = (m: string, p: string, r: number) => report.shards.find((s) => s.module === m && s.param === p && s.rank === r)!;
    for (let r = 0; r < 4; r++) {
      const q = shard('layers.0.attention.wq', 'weight', r);
      assert.deepEqual([q.placement, q.globalShape, q.localShape], ['Shard(0)', [32, 32], [16, 32]]);
      const o = shard('layers.0.attention.wo', 'weight', r);
      assert.deepEqual([o.placement, o.globalShape, o.localShape], ['Shard(1)', [32, 32], [32, 16]]);
      const n = shard('layers.0.attention_norm', 'weight', r);
      assert.deepEqual([n.placement, n.localShape], ['Replicate', [32]]);
    }
    assert.match(out.get(0)!, /layers\.0\.attention\.wq\.weight \(32, 32\) \(Shard\(dim=0\),\) local \(16, 32\)/);
  });

  test("its ledger: sequence-parallel all-gathers and reduce-scatters at the block's lines, dp gradient all-reduces", async () => {
    const file = ex('llama_dp_tp.py');
    const { report } = await run(file, 4);
    const g01 = report.collectives.filter((c) => c.group === 'ranks[0,1]');
    const attn = lineOf(file, 'h = x + self.attention(');
    const ffn = lineOf(file, 'return h + self.feed_forward(');
    const wo = lineOf(file, 'return self.wo(');
    const w2 = lineOf(file, 'return self.w2(');
    const head = lineOf(file, 'return self.output(x)');
    // [B/dp, S, H] = [2, 8, 32] float32 = 2,048 B: per layer gather → attention → reduce-scatter at wo, the same for the MLP
    const perLayer = [['all_gather', attn], ['reduce_scatter', wo], ['all_gather', ffn], ['reduce_scatter', w2]];
    const fwd = g01.filter((c) => c.phase === 'forward');
    assert.deepEqual(fwd.map((c) => [c.op, c.source?.line]), [...perLayer, ...perLayer, ['all_gather', head], ['all_gather', head]]);
    assert.ok(fwd.every((c) => c.bytes === 2048));
    // backward: each forward collective's conjugate, plus the norm weights' gradient all-reduce ([32] = 128 B)
    const bwd = g01.filter((c) => c.phase === 'backward');
    assert.equal(bwd.filter((c) => c.op === 'reduce_scatter').length, 5); // the 5 all-gathers' backward
    assert.equal(bwd.filter((c) => c.op === 'all_gather').length, 4); // the 4 reduce-scatters' backward
    assert.deepEqual(bwd.filter((c) => c.op === 'all_reduce').map((c) => c.bytes), [128, 128, 128, 128, 128]);
    // data parallel over ranks {0, 2}: one all-reduce per parameter at the person's line
    const dp = report.collectives.filter((c) => c.group === 'ranks[0,2]');
    assert.equal(dp.length, 20);
    assert.ok(dp.every((c) => c.op === 'all_reduce' && c.source?.line === lineOf(file, 'dist.all_reduce(g, op=dist.ReduceOp.AVG')));
  });

  test('llama_3d.py (pp × dp × tp = 2 × 2 × 2, 1F1B): verified; stage activations [mb, S/tp, H] go between rank r and r + 4', async () => {
    const { report } = await run(ex('llama_3d.py'), 8);
    assert.deepEqual(report.errors, []);
    assert.equal(report.verification.passed, true, JSON.stringify(report.verification.firstDivergence));
    assert.equal(report.verification.grads.length, 4 * 9 + 2);
    // the mesh line's axes are the script's, and its stages follow the "pp" axis
    assert.deepEqual([report.mesh.axes, report.mesh.sizes], [['pp', 'dp', 'tp'], [2, 2, 2]]);
    assert.deepEqual(report.stages.map((s) => s.ranks), [[0, 1, 2, 3], [4, 5, 6, 7]]);
    const p2p = report.collectives.filter((c) => c.op === 'send_recv');
    // 4 micro-batches forward and back on each of the 4 (dp, tp) pairs; [1, 4, 32] float32 = 512 B
    assert.equal(p2p.length, 2 * 4 * 4);
    assert.ok(p2p.every((c) => c.bytes === 512));
    // activations forward from stage 0's ranks, gradients backward from stage 1's
    for (const c of p2p) assert.equal(c.phase, /p2p\[[0-3]->/.test(c.group ?? '') ? 'forward' : 'backward', c.group);
    const pairs = new Set(p2p.map((c) => c.group));
    assert.deepEqual([...pairs].sort(), ['p2p[0->4]', 'p2p[1->5]', 'p2p[2->6]', 'p2p[3->7]', 'p2p[4->0]', 'p2p[5->1]', 'p2p[6->2]', 'p2p[7->3]']);
  });

  test("RowwiseParallel on an nn.Embedding (torchtitan's tok_embeddings): the table split by vocab rows, a reduce-scatter into sequence shards", async () => {
    const file = tp('rowwise_embedding.py');
    const { report } = await run(file, 2);
    assert.deepEqual(report.errors, []);
    assert.equal(report.verification.passed, true, JSON.stringify(report.verification.firstDivergence));
    const note = Object.fromEntries(report.verification.grads.map((g) => [g.name, g.note]));
    assert.equal(note['tok.weight'], 'Shard(0) by index ranges');
    // [2, 4, 8] float32 = 256 B partial sums reduce-scattered along the sequence; logits [2, 4, 16] gathered
    assert.deepEqual(report.collectives.filter((c) => c.group === 'ranks[0,1]' && c.phase === 'forward').map((c) => [c.op, c.bytes]), [['reduce_scatter', 256], ['all_gather', 256], ['all_gather', 512]]);
  });

  test('mistake: RowwiseParallel on the q projection, stopped at its plan entry', async () => {
    const file = ex('llama_mistake_rowwise_q.py');
    const { report } = await run(file, 4);
    assert.equal(report.exitCode, 2);
    const e = report.errors[0];
    assert.match(e.headline, /RowwiseParallel on 'attention\.wq'.*wants ColwiseParallel\(\)/);
    assert.equal(e.source?.line, lineOf(file, '"attention.wq": RowwiseParallel()'));
    assert.ok(e.source?.file.endsWith('llama_mistake_rowwise_q.py'));
  });

  test('mistake: a plan key that matches no module, stopped at its entry', async () => {
    const file = ex('llama_mistake_plan_key.py');
    const { report } = await run(file, 2);
    assert.equal(report.exitCode, 2, JSON.stringify(report.errors));
    const e = report.errors[0];
    assert.match(e.headline, /the plan key 'attention\.w_q' matches no submodule of TransformerBlock \(its children: attention_norm, attention, ffn_norm, feed_forward\)/);
    assert.equal(e.source?.line, lineOf(file, '"attention.w_q": ColwiseParallel()'));
  });

  test('mistake: SequenceParallel on a norm whose input holds the whole sequence: the first divergence is that norm', async () => {
    const file = ex('llama_mistake_sequence_parallel.py');
    const { report } = await run(file, 2);
    assert.deepEqual(report.errors, []);
    assert.equal(report.verification.passed, false);
    assert.equal(report.exitCode, 1);
    const d = report.verification.firstDivergence!;
    assert.equal(d.where, 'layers.0.attention_norm');
    assert.match(d.message, /whole 16 long there \(rank 0 holds 8\), but the world-size-1 run's is 8: its input was declared sharded along dim 1/);
    // reported at the plan entry that declared it
    assert.equal(d.source?.line, lineOf(file, '"layers.*.attention_norm": SequenceParallel()'));
    assert.ok(d.source?.file.endsWith('llama_mistake_sequence_parallel.py'));
  });

  test("pipeline(model, mb_args, split_spec) on torchtitan's Llama: the same losses, gradients and step as the manual split; verified", async () => {
    const traced = await run(tp('pipeline_traced.py'), 2, ['traced']);
    const manual = await run(tp('pipeline_traced.py'), 2, ['manual']);
    for (const { report } of [traced, manual]) {
      assert.deepEqual(report.errors, []);
      assert.equal(report.verification.passed, true, JSON.stringify(report.verification.firstDivergence));
      assert.equal(report.pipeline?.schedule, '1F1B');
    }
    // the split at layers.2: embedding and layers 0-1 on stage 0, the rest with norm and output on stage 1
    assert.match(traced.out.get(0)!, /^Pipe\(2 stages: tok_embeddings, layers\.0, layers\.1 \| layers\.2, layers\.3, norm, output\)$/m);
    const lines = (o: string | undefined) => (o ?? '').split('\n').filter((l) => /^(loss|grad) /.test(l));
    for (const r of [0, 1]) {
      assert.ok(lines(manual.out.get(r)).length >= 17, manual.out.get(r));
      assert.deepEqual(lines(traced.out.get(r)), lines(manual.out.get(r)), `rank ${r}`);
    }
    // every gradient of the model is compared with the world-size-1 run (one stage holding it all)
    assert.equal(traced.report.verification.grads.length, 1 + 4 * 8 + 2);
    // the tracing forward is no step of the program: the timeline is the manual split's, op for op
    assert.equal(traced.report.timeline.stepTimeUs, manual.report.timeline.stepTimeUs);
    assert.deepEqual(traced.report.collectives.map((c) => [c.op, c.bytes, c.phase]), manual.report.collectives.map((c) => [c.op, c.bytes, c.phase]));
  });

  test('pipeline() into 2·p stages, two per rank (build_stage(r) and build_stage(r + p)) under ScheduleInterleaved1F1B: the same loss and gradients; verified', async () => {
    const inter = await run(tp('pipeline_traced.py'), 2, ['interleaved']);
    const plain = await run(tp('pipeline_traced.py'), 2, ['traced']);
    assert.deepEqual(inter.report.errors, []);
    assert.equal(inter.report.verification.passed, true, JSON.stringify(inter.report.verification.firstDivergence));
    assert.deepEqual([inter.report.pipeline?.schedule, inter.report.pipeline?.virtual], ['Interleaved1F1B', 2]);
    assert.match(inter.out.get(0)!, /^Pipe\(4 stages: tok_embeddings, layers\.0 \| layers\.1 \| layers\.2 \| layers\.3, norm, output\)$/m);
    // rank 0 holds stages 0 and 2 (layers 0 and 2), rank 1 stages 1 and 3: every line of the 1F1B run, on some rank
    const all = (o: Map<number, string>) => [...o.values()].flatMap((t) => t.split('\n')).filter((l) => /^(loss|grad) /.test(l)).sort();
    assert.deepEqual(all(inter.out), all(plain.out));
    assert.match(inter.out.get(0)!, /^grad layers\.2\.wq\.weight /m);
  });

  test('llama_3d.py -- traced: pipeline() then the tensor-parallel plan on each stage, on the 3-D mesh: the manual split\'s loss, ledger and step; verified', async () => {
    const traced = await run(ex('llama_3d.py'), 8, ['traced']);
    const manual = await run(ex('llama_3d.py'), 8);
    assert.deepEqual(traced.report.errors, []);
    assert.equal(traced.report.verification.passed, true, JSON.stringify(traced.report.verification.firstDivergence));
    assert.equal(traced.report.verification.grads.length, 4 * 9 + 2);
    assert.match(traced.out.get(4)!, /^loss \d/m);
    assert.equal(traced.out.get(4), manual.out.get(4));
    // (the step times differ by the traced branch's own arith() of its example micro-batch)
    const key = (r: Report) => r.collectives.map((c) => [c.op, c.group, c.bytes, c.phase, c.source?.line].join(' '));
    assert.deepEqual(key(traced.report), key(manual.report));
  });

  for (const [mode, why] of [
    ['scaled', /pipeline\(\) on a forward with tensor work between split regions \(Llama's 'layers\.0' does not take the output of 'tok_embeddings' as its first argument/],
    ['padmask', /pipeline\(\) on an extra argument of 'layers\.0' computed from the input's values \(a tensor of shape \(2, 6\)/],
    ['hooked', /pipeline\(\) on a model with forward hooks of its own \(Llama's would not run/],
  ] as const) {
    test(`pipeline() refuses a forward a replay would get wrong (${mode}) at its line, naming the manual PipelineStage`, async () => {
      const file = tp('pipeline_traced.py');
      const { report } = await run(file, 2, [mode]);
      assert.equal(report.exitCode, 2);
      assert.match(report.errors[0].headline, why);
      assert.match(report.errors[0].headline, /build each stage by hand.*PipelineStage\(model, stage_index, num_stages, device, group=pp_group\)/);
      assert.equal(report.errors[0].source?.line, lineOf(file, 'SplitPoint.BEGINNING for k in range(1, pp)})'));
    });
  }

  for (const [schedule, formula] of [['1f1b', 3 / 8], ['interleaved', 3 / 16]] as const) {
    test(`${schedule} over 4 equal stages and 8 micro-batches: the measured bubble is (p−1)/${schedule === '1f1b' ? 'm' : '(v·m)'} = ${formula.toFixed(4)}, and it verifies`, async () => {
      const { report, out } = await run(tp('pipeline_bubble.py'), 4, [schedule]);
      assert.deepEqual(report.errors, []);
      assert.equal(report.verification.passed, true, JSON.stringify(report.verification.firstDivergence));
      assert.match(out.get(3)!, /^loss /m);
      const pl = report.pipeline!;
      assert.deepEqual([pl.schedule, pl.stages, pl.microbatches, pl.virtual], [schedule === '1f1b' ? '1F1B' : 'Interleaved1F1B', 4, 8, schedule === '1f1b' ? 1 : 2]);
      assert.equal(pl.bubbleFormula, formula);
      // the middle stages are the equal ones (the first skips dX of its input, the last adds the loss)
      for (const r of [1, 2]) assert.ok(Math.abs(pl.bubblePerStage[r] - formula) / formula < 0.1, `stage ${r}: measured ${pl.bubblePerStage[r]} vs ${formula}`);
      // 1F1B: stage s holds at most p − s micro-batches' activations at once
      if (schedule === '1f1b') assert.deepEqual(pl.peakStash, [4, 3, 2, 1]);
    });
  }
});

function esc(s: string): string {
  return s.replace(/[[\]().]/g, (c) => `\\${c}`);
}
