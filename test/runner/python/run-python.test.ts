/**
 * PyTorch files run as written (src/runner/python): the seed-003 FFN verified against its own
 * world-size-1 run, its ledger with hand-derived bytes at the .py lines, the same numbers and
 * collective calls as real torch.distributed (Debian's python3-torch, gloo) where installed, a
 * mistake caught at its module, and bad inputs answered at the person's line.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/runner/backend.js';
import { pythonAvailable } from '../../../src/runner/python/interpreter.js';
import { runPythonFile } from '../../../src/runner/python/run-python.js';
import type { Report } from '../../../src/report/types.js';
import { TorchGenerator } from '../../../src/core/torch-rng.js';

const root = path.resolve(__dirname, '..', '..', '..');
const ex = (f: string) => path.join(root, 'examples', 'python', f);
const bad = (f: string) => path.join(root, 'test', 'python', 'bad', f);

async function run(file: string, n: number, mode?: 'meta'): Promise<{ report: Report; out: Map<number, string> }> {
  const out = new Map<number, string>();
  const report = await runPythonFile(file, { nprocPerNode: n, mode, onOutput: (rank, _s, text) => out.set(rank, (out.get(rank) ?? '') + text) });
  return { report, out };
}

const skip = pythonAvailable() ? false : 'no WebAssembly stack switching in this Node (run with --experimental-wasm-stack-switching)';

describe('PyTorch files on the simulator', { skip }, () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  test('seed-003 FFN at 4 processes: verified against its world-size-1 run, module by module', async () => {
    const { report, out } = await run(ex('ffn_tp4.py'), 4);
    assert.deepEqual(report.errors, []);
    assert.equal(report.verification.passed, true, JSON.stringify(report.verification.firstDivergence));
    assert.equal(report.exitCode, 0);
    // fc1 and fc2 outputs and all four parameter gradients were compared
    assert.deepEqual(report.verification.outputs.map((c) => c.name), ['fc1', 'fc2', '(the model)'].filter((n) => report.verification.outputs.some((c) => c.name === n)));
    const grads = Object.fromEntries(report.verification.grads.map((g) => [g.name, g.note]));
    assert.equal(grads['fc1.weight'], 'Shard(0) by index ranges'); // cut with chunk(world, 0)[rank]
    assert.equal(grads['fc2.weight'], 'Shard(1) by index ranges');
    assert.equal(grads['fc2.bias'], 'replicated');
    // each rank printed its own lines
    assert.match(out.get(0)!, /^loss /m);
    assert.equal(out.size, 4);
  });

  test('its ledger: one all-reduce forward (fc2), one backward (fc1 dX), at the .py lines', async () => {
    const { report } = await run(ex('ffn_tp4.py'), 4);
    const text = readFileSync(ex('ffn_tp4.py'), 'utf8').split('\n');
    const lineOf = (needle: string) => text.findIndex((l) => l.includes(needle)) + 1;
    const c = report.collectives;
    assert.equal(c.length, 2);
    // [B, S, H] = [2, 8, 64] float32 = 4,096 B; ring all-reduce sends 2(n−1)/n of it per rank
    assert.deepEqual(c.map((e) => [e.op, e.phase, e.bytes]), [['all_reduce', 'forward', 4096], ['all_reduce', 'backward', 4096]]);
    assert.equal(c[0].sentBytesPerRank, (2 * 3 * 4096) / 4);
    assert.equal(c[0].source?.line, lineOf('dist.all_reduce(y)'));
    assert.equal(c[1].source?.line, lineOf('dist.all_reduce(dy)'));
    assert.ok(c[0].source?.file.endsWith('ffn_tp4.py'));
    // parameter shards as DTensor names them
    const fc1 = report.shards.find((s) => s.module === 'fc1' && s.param === 'weight' && s.rank === 1)!;
    assert.deepEqual([fc1.globalShape, fc1.localShape, fc1.placement], [[256, 64], [64, 64], 'Shard(0)']);
  });

  test('the bias added before the all-reduce is caught at fc2', async () => {
    const { report } = await run(ex('ffn_bias_before_allreduce.py'), 4);
    assert.equal(report.verification.passed, false);
    assert.equal(report.exitCode, 1);
    const d = report.verification.firstDivergence!;
    assert.equal(d.where, 'fc2');
    assert.ok(d.source?.file.endsWith('ffn_bias_before_allreduce.py'));
    // the TypeScript path's diagnosis: each rank's output is the reference plus (P − 1) × its bias
    assert.match(d.message, /counted 4 times \(output = reference \+ 3 × bias\) — add the bias once, after the all-reduce/);
    // at 2 ranks it is counted twice: the count is measured, not assumed
    const two = (await run(ex('ffn_bias_before_allreduce.py'), 2)).report.verification.firstDivergence!;
    assert.match(two.message, /counted 2 times \(output = reference \+ 1 × bias\)/);
  });

  test("torch's random draws: torch.manual_seed(0) then randn(2, 3) is torch's [[1.5410, −0.2934, −2.1788], [0.5684, −1.0845, −1.3986]], nn.Linear's init and dropout from the same stream", async () => {
    const { report, out } = await run(path.join(root, 'test', 'python', 'random_draws.py'), 1);
    assert.deepEqual(report.errors, []);
    const lines = (out.get(0) ?? '').split('\n');
    const of = (name: string) => lines.filter((l) => l.startsWith(`${name} `)).map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(of('randn').map((v) => v.toFixed(4)), ['1.5410', '-0.2934', '-2.1788', '0.5684', '-1.0845', '-1.3986']);
    assert.deepEqual(of('rand').map((v) => v.toFixed(4)), ['0.4963', '0.7682', '0.0885', '0.1320', '0.3074']);
    // nn.Linear(16, 8) after manual_seed(0): U(−1/4, 1/4) weights, as torch (values from torch 1.13)
    assert.deepEqual(of('linear.w').slice(0, 3).map((v) => v.toFixed(6)), ['-0.001872', '0.134111', '-0.205761']);
    const drop = of('dropout');
    assert.equal(drop.length, 20);
    assert.ok(drop.every((v) => v === 0 || v === 2), drop.join(','));
  });

  test('ranks that seed alike share the draw (made once), and each rank\'s generator still moves on past it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autodist-rng-'));
    const file = path.join(dir, 'shared_draws.py');
    writeFileSync(file, [
      'import torch, torch.distributed as dist',
      'dist.init_process_group("gloo")',
      'torch.manual_seed(0)',
      'a = torch.randn(40)            # the same on every rank: made once',
      'b = torch.randn(3)             # the double path after it, on every rank',
      'torch.manual_seed(dist.get_rank())',
      'c = torch.rand(2)              # different per rank',
      'print(" ".join(f"{v:.8e}" for v in a[:2].tolist() + b.tolist() + c.tolist()))',
    ].join('\n'));
    const { report, out } = await run(file, 2);
    assert.deepEqual(report.errors, []);
    const g = new TorchGenerator(0);
    const a = Array.from(Float32Array.from(g.normal(40, 0, 1, 'float32'))).slice(0, 2);
    const b = Array.from(Float32Array.from(g.normal(3, 0, 1, 'float32')));
    for (const r of [0, 1]) {
      const c = Array.from(Float32Array.from(new TorchGenerator(r).uniform(2, 0, 1, 'float32')));
      const got = (out.get(r) ?? '').trim().split(' ').map(Number);
      assert.deepEqual(got.map((v) => v.toExponential(6)), [...a, ...b, ...c].map((v) => v.toExponential(6)), `rank ${r}`);
    }
  });

  test('meta mode: the same file, shapes only, the same ledger', async () => {
    const { report } = await run(ex('ffn_tp4.py'), 4, 'meta');
    assert.equal(report.mode, 'meta');
    assert.deepEqual(report.errors, []);
    assert.deepEqual(report.collectives.map((e) => [e.op, e.bytes]), [['all_reduce', 4096], ['all_reduce', 4096]]);
  });

  test("each rank imports the person's own modules afresh, as separate processes would", async () => {
    const { report, out } = await run(bad('per_rank_state.py'), 4);
    assert.deepEqual(report.errors, []);
    for (let r = 0; r < 4; r++) assert.match(out.get(r)!, /count 1 sum 4\.0/);
  });

  test('seed 000 Problems 1–4 at pp=2 × tp=2: verified, 2 activations forward and 2 gradients back over p2p', async () => {
    const { report } = await run(ex('seed000/train_pp_tp.py'), 4);
    assert.equal(report.exitCode, 0, JSON.stringify(report.errors[0] ?? report.verification.firstDivergence));
    const p2p = report.collectives.filter((c) => c.op === 'send_recv');
    assert.deepEqual(p2p.map((c) => c.ranks), [[0, 2], [1, 3], [2, 0], [3, 1]]);
    // [B, S, H] = [2, 8, 32] floats each way
    assert.ok(p2p.every((c) => c.elements === 512));
  });

  test('the stage number used as a rank (tp = 2): caught at the send, with the fix', async () => {
    const { report } = await run(ex('seed000/mistake_stage_as_rank.py'), 4);
    assert.equal(report.exitCode, 2);
    const e = report.errors[0];
    assert.match(e.headline, /Invalid destination rank/);
    assert.match(e.fix ?? '', /a stage number is a rank only when every stage has one rank/);
    assert.ok(e.ranks.some((r) => /mistake_stage_as_rank\.py:\d+/.test(r.detail)));
  });

  test('column outputs gathered along the batch dim: the fix names the gather and the dim', async () => {
    const { report } = await run(ex('seed000/mistake_gather_batch.py'), 4);
    assert.equal(report.exitCode, 2);
    assert.match(report.errors[0].fix ?? '', /layers\.0\.mlp\.up_proj .*concatenated along dim 0 but they split dim 2 — gather along dim 2/);
  });

  test('a missing Megatron f: the first wrong gradient is a partial sum, named', async () => {
    const { report } = await run(ex('seed000/mistake_missing_f.py'), 4);
    assert.equal(report.exitCode, 1);
    const d = report.verification.firstDivergence!;
    assert.equal(d.where, 'layers.3.ln2.weight');
    assert.match(d.message, /partial sum.*Megatron's f/);
  });

  test('a DistributedSampler deals each rank its own data: reported as such at its line, not as a failed verification', async () => {
    const { report } = await run(path.join(root, 'test', 'python', 'dataloader.py'), 2);
    assert.equal(report.exitCode, 0, JSON.stringify(report.verification.firstDivergence));
    assert.match(report.verification.skipped ?? '', /^each rank was given its own data: a DistributedSampler \(dataloader\.py:19\) deals each of the 2 ranks its own share/);
  });

  const cases: [string, number, RegExp, number | null][] = [
    ['syntax_error.py', 2, /SyntaxError: expected ':'/, 3],
    ['one_rank_raises.py', 2, /^rank 2: ValueError: bad shard index/, 7],
    ['unsupported.py', 2, /torch\.fft is not supported by AutoDist's simulated torch/, 3],
    ['numpy_import.py', 2, /No module named 'numpy'/, 2],
    ['no_init.py', 2, /init_process_group/, 4],
    ['sys_exit.py', 2, /^rank 1: sys\.exit\(3\)/, 6],
    ['deadlock.py', 2, /deadlock/, 6],
    ['setitem_index_tensor.py', 2, /assignment through tensor indices x\[index\] = v is not supported/, 5],
  ];
  for (const [file, code, message, line] of cases) {
    test(`bad input ${file}: exit ${code}, "${message.source}" at line ${line}`, async () => {
      const { report } = await run(bad(file), 4);
      assert.equal(report.exitCode, code);
      const e = report.errors[0];
      assert.ok(e, 'an error is reported');
      assert.match(e.headline, message);
      if (line !== null) assert.equal(e.source?.line, line, JSON.stringify(e));
      assert.ok(e.source?.file.endsWith(file));
    });
  }
});

describe('the time limit on a Python run', { skip }, () => {
  test('an endless loop: the time limit names the rank and the line it was running', async () => {
    const { runInWorker } = await import('../../../src/runner/run-in-worker.js');
    const report = await runInWorker(bad('infinite_loop.py'), { nprocPerNode: 2, timeoutS: 25 }).result;
    assert.equal(report.exitCode, 2);
    const e = report.errors[0];
    assert.match(e.headline, /^time limit: rank 0 was still running infinite_loop\.py:6/);
    assert.equal(e.source?.line, 6);
  });
});

/** Debian's torch (1.13, gloo, CPU) when installed: the same file must print the same numbers. */
function realTorch(): string | null {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return null;
  const r = spawnSync(py, ['-c', 'import torch.distributed'], { encoding: 'utf8' });
  return r.status === 0 ? py : null;
}

const torchPy = realTorch();

/** Each rank's calls as torch.distributed saw them: [op, elements], in order (p2p as send/recv). */
function callsOf(report: Report, rank: number): [string, number][] {
  return report.collectives
    .filter((c) => c.ranks.includes(rank))
    .map((c): [string, number] => [c.op === 'send_recv' ? (c.ranks[0] === rank ? 'send' : 'recv') : c.op, c.elements]);
}

/**
 * The ledger records a point-to-point transfer when it completes, torch's launcher when it is
 * posted: within a run of consecutive sends and recvs (posted isend/irecv, then waited) the two
 * orders may differ, so each such run is compared as a sorted list.
 */
function p2pRunsSorted(calls: [string, number][]): [string, number][] {
  const out: [string, number][] = [];
  let run: [string, number][] = [];
  const flush = () => {
    out.push(...run.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1)));
    run = [];
  };
  for (const c of calls) {
    if (c[0] === 'send' || c[0] === 'recv') run.push(c);
    else {
      flush();
      out.push(c);
    }
  }
  flush();
  return out;
}

/** [file, processes, compare the calls too (the launcher records all_reduce, all_gather, broadcast, p2p — not gather/scatter/objects)] */
const AGAINST_TORCH: [string, number, boolean?][] = [
  ['ffn_tp4.py', 4],
  ['seed000/train_tp.py', 4],
  ['seed000/train_pp_tp.py', 4],
  ['ddp_seeded.py', 2], // weights from nn.Linear's default init and a batch from torch.randn
  [path.join(root, 'test', 'python', 'random_draws.py'), 1], // every family of draws, value by value
  [path.join(root, 'test', 'python', 'plain_collectives.py'), 2, false],
  ['ddp_module.py', 2, false], // DDP's own calls are C++ in torch: the launcher does not see them
  [path.join(root, 'test', 'python', 'nanogpt_ddp.py'), 2, false],
  [path.join(root, 'test', 'python', 'lr_schedules.py'), 1], // every scheduler, step by step
  [path.join(root, 'test', 'python', 'training_misc.py'), 2, false],
  [path.join(root, 'test', 'python', 'p2p_ring.py'), 4], // isend/irecv posted before waiting, batch_isend_irecv, reduce, a subgroup
  [path.join(root, 'test', 'python', 'setitem.py'), 1], // x[idx] = v in every basic form, and its gradient
  [path.join(root, 'test', 'python', 'train_idioms.py'), 2], // y[0, 0] = -100, label smoothing, accumulation, Adam + weight decay
  [path.join(root, 'test', 'python', 'optimizers.py'), 1], // SGD's Nesterov / dampening, Adam's amsgrad / maximize (were ignored)
  [path.join(root, 'test', 'python', 'einsum.py'), 1], // einsum of one and two operands, gradients included
  [path.join(root, 'test', 'python', 'dataloader.py'), 2], // torch.utils.data: DistributedSampler, DataLoader, random_split
];

describe('printing and the collectives beyond all_reduce', { skip }, () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  test('tensor_repr.py: print(tensor) prints what torch 1.13 printed (tensor_repr.expected), line for line', async () => {
    const file = path.join(root, 'test', 'python', 'tensor_repr.py');
    const { report, out } = await run(file, 1);
    assert.deepEqual(report.errors, []);
    const want = readFileSync(file.replace(/\.py$/, '.expected'), 'utf8').trimEnd().split('\n');
    assert.deepEqual((out.get(0) ?? '').trimEnd().split('\n'), want);
  });

  test('plain_collectives.py: broadcast, gather, scatter, all_gather_object, broadcast_object_list and in-place Megatron mappings give torch\'s values; gather and scatter are the point-to-point sends at their lines', async () => {
    const file = path.join(root, 'test', 'python', 'plain_collectives.py');
    const { report, out } = await run(file, 2);
    assert.deepEqual(report.errors, []);
    const line = (name: string) => [...out.values()].join('\n').split('\n').find((l) => l.startsWith(`rank 0 ${name} `))!.split(' ').slice(3).map(Number);
    // y = x·wᵀ summed over the two row shards: the reduce in place on its input keeps the graph, so dx arrives
    assert.equal(line('dx').length, 6);
    assert.ok(line('dx').some((v) => v !== 0));
    assert.deepEqual(line('broadcast'), [1, 2, 3, 4]);
    assert.deepEqual(line('gather'), [1, 2, 3, 4, 2, 4, 6, 8]);
    assert.deepEqual(line('scatter'), [0.5, 0.5]);
    assert.deepEqual(line('objects'), [0.25, 0.5]);
    assert.deepEqual(line('config').map((v) => Number(v.toPrecision(6))), [3e-4, 10]);
    const src = readFileSync(file, 'utf8').split('\n');
    const at = (needle: string) => src.findIndex((l) => l.includes(needle)) + 1;
    const p2p = report.collectives.filter((c) => c.op === 'send_recv');
    assert.deepEqual(p2p.map((c) => [c.ranks, c.source?.line]), [[[1, 0], at('dist.gather(')], [[0, 1], at('dist.scatter(')]]);
    // the objects: an all-gather of the pickled sizes, then of the bytes (as torch does it)
    const objs = report.collectives.filter((c) => c.source?.line === at('dist.all_gather_object('));
    assert.deepEqual(objs.map((c) => c.op), ['all_gather', 'all_gather']);
  });

});

describe('torch.nn.parallel.DistributedDataParallel', { skip }, () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  test("ddp_module.py: rank 0's weights broadcast at DDP(model), one all-reduce per gradient bucket per step at loss.backward() in phase backward, the same weights on both ranks, verified", async () => {
    const file = ex('ddp_module.py');
    const { report, out } = await run(file, 2);
    assert.equal(report.exitCode, 0, JSON.stringify(report.errors[0] ?? report.verification.firstDivergence));
    const src = readFileSync(file, 'utf8').split('\n');
    const at = (needle: string) => src.findIndex((l) => l.includes(needle)) + 1;
    const params = 8 * 16 + 16 + 16 * 3 + 3; // 195
    assert.deepEqual(report.collectives.map((c) => [c.op, c.phase, c.elements, c.source?.line]), [
      ['broadcast', 'forward', params, at('ddp = DDP(model)')],
      ...[0, 1, 2].map(() => ['all_reduce', 'backward', params, at('        loss.backward()')]),
    ]);
    const w = (r: number) => (out.get(r) ?? '').split('\n').find((l) => l.includes('w[0, :4]'));
    assert.ok(w(0) && w(0)!.split('w[0, :4] ')[1] === w(1)!.split('w[0, :4] ')[1], `${w(0)} / ${w(1)}`);
  });

  test('lr schedules: StepLR halves every 3 steps, MultiStepLR counts a repeated milestone twice, CosineAnnealingLR returns to the start after 2·T_max', async () => {
    const { report, out } = await run(path.join(root, 'test', 'python', 'lr_schedules.py'), 1);
    assert.deepEqual(report.errors, []);
    const of = (name: string) => (out.get(0) ?? '').split('\n').find((l) => l.startsWith(`${name} `))!.split(' ').slice(1).map(Number);
    assert.deepEqual(of('step').map((v) => Number(v.toPrecision(6))), [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625]);
    assert.deepEqual(of('multistep').slice(0, 6).map((v) => Number(v.toPrecision(6))), [0.1, 0.03, 0.03, 0.03, 0.0027, 0.0027]);
    const cos = of('cosine');
    assert.ok(Math.abs(cos[4] - 0.001) < 1e-12 && Math.abs(cos[9] - 0.1) < 1e-12, cos.join(','));
  });

  test('a nanoGPT-style file (DDP, AdamW + LambdaLR, clip_grad_norm_, a batch drawn per rank): runs, and says why one world-size-1 run cannot verify it', async () => {
    const { report, out } = await run(path.join(root, 'test', 'python', 'nanogpt_ddp.py'), 2);
    assert.deepEqual(report.errors, []);
    assert.equal(report.exitCode, 0);
    assert.match(report.verification.skipped ?? '', /^each rank was given its own data: module\.wte, the first module, matches the world-size-1 run on rank 0 but not on rank 1/);
    // the warm-up: lr = 3e-3 · min(1, (step + 1) / 2) after each scheduler step
    const lrs = (out.get(0) ?? '').split('\n').filter((l) => l.startsWith('step ')).map((l) => Number(l.split(' lr ')[1]));
    assert.deepEqual(lrs, [3e-3, 3e-3, 3e-3]);
  });

  test('buckets as torch makes them: the first closes at 1 MiB, the rest at bucket_cap_mb; reduced last bucket first; no_sync() skips the reduction', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autodist-ddp-'));
    const file = path.join(dir, 'buckets.py');
    writeFileSync(file, [
      'import torch, torch.nn as nn, torch.distributed as dist',
      'from torch.nn.parallel import DistributedDataParallel as DDP',
      'dist.init_process_group("gloo")',
      'm = nn.Sequential(nn.Linear(512, 1024), nn.Linear(1024, 256))   # w0 2 MiB, b0 4 KiB, w1 1 MiB, b1 1 KiB',
      'ddp = DDP(m, bucket_cap_mb=1)',
      'x = torch.randn(4, 512)',
      'with ddp.no_sync():',
      '    ddp(x).sum().backward()   # accumulates, no reduction',
      'ddp(x).sum().backward()       # reduces the accumulated gradients',
    ].join('\n'));
    const { report } = await run(file, 2);
    assert.deepEqual(report.errors, []);
    const reduces = report.collectives.filter((c) => c.op === 'all_reduce').map((c) => c.elements);
    // in order [w0] (≥ 1 MiB closes the first), [b0, w1] (≥ bucket_cap_mb), [b1]; reduced last first
    assert.deepEqual(reduces, [256, 1024 + 1024 * 256, 512 * 1024]);
  });
});

describe('against real torch.distributed (gloo)', { skip: !skip && torchPy ? false : `${skip || ''} ${torchPy ? '' : 'python3-torch is not installed (apt-get install -y python3-torch)'}`.trim() || false }, () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  for (const [file, n, compareCalls = true] of AGAINST_TORCH) {
    test(`${path.basename(file)}: the same printed numbers (1e-5 relative) and each rank's collective calls in order`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'autodist-torch-'));
      const calls = path.join(dir, 'calls.json');
      const at = path.isAbsolute(file) ? file : ex(file);
      const r = spawnSync(torchPy!, [path.join(root, 'test', 'python', 'torchrun.py'), String(n), calls, at], { encoding: 'utf8', timeout: 180_000, cwd: path.dirname(at) });
      assert.equal(r.status, 0, r.stderr);
      const { report, out } = await run(at, n);
      assert.equal(report.exitCode, 0, JSON.stringify(report.errors[0] ?? report.verification.firstDivergence));
      const nums = (s: string) => (s.match(/-?\d+\.\d+e[+-]\d+/g) ?? []).map(Number);
      const ours = [...out.values()].flatMap(nums).sort((a, b) => a - b);
      const theirs = nums(r.stdout).sort((a, b) => a - b);
      assert.ok(theirs.length >= 4, r.stdout);
      assert.equal(ours.length, theirs.length);
      ours.forEach((v, i) => assert.ok(Math.abs(v - theirs[i]) <= 1e-5 * Math.max(Math.abs(theirs[i]), 1e-3), `${v} vs ${theirs[i]}`));
      for (let k = 0; k < n && compareCalls; k++) {
        const real = (JSON.parse(readFileSync(`${calls}.${k}`, 'utf8')) as [string, number][]).map(([op, e]): [string, number] => [op === 'isend' ? 'send' : op === 'irecv' ? 'recv' : op, e]);
        assert.deepEqual(p2pRunsSorted(callsOf(report, k)), p2pRunsSorted(real), `rank ${k}`);
      }
    });
  }
});
