import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildModel, runSimulation, simulation } from '../../src/parallel/index.js';
import { ffn } from '../../src/models/ffn.js';
import { gpt2, GPT2 } from '../../src/models/gpt2.js';
import { Module } from '../../src/models/nn/module.js';
import type { RankContext } from '../../src/core/context.js';
import type { Tensor } from '../../src/core/tensor.js';
import * as ops from '../../src/core/ops/index.js';
import { useBackend } from '../helpers/backend.js';
import { lineOf } from '../helpers/lines.js';

/**
 * A custom `program` is verified against the same program at world size 1 (every mesh axis of
 * size 1), module by module by name, as a PyTorch file is against its own world-size-1 run.
 */
before(async () => {
  await useBackend();
});

const THIS = __filename;
const EXAMPLES = path.join(__dirname, '../../examples');

async function example(name: string) {
  const mod = (await import(path.join(EXAMPLES, name))) as { default: Parameters<typeof runSimulation>[0] };
  return runSimulation(mod.default);
}

/** The seed's stage-edge wrapper, the person's own (recv at a stage's first layer, send at its last). */
class Edge extends Module {
  constructor(public layer: Module, readonly first: boolean, readonly last: boolean) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const c = x.ctx.comm;
    let h = x;
    if (this.first && x.ctx.coord('pp') > 0) h = await c.recv(x, c.peer('pp', -1)!, { requiresGrad: true }); // @edge-recv
    const out = await this.layer.call(h);
    if (this.last && x.ctx.coord('pp') < x.ctx.axisSize('pp') - 1) await c.send(out, c.peer('pp', +1)!); // @edge-send
    return out;
  }
}

/** Forward and backward across the stages; `tied`: sum the tied embedding's gradient over pp. */
function train(tied: boolean) {
  return async (rank: RankContext): Promise<void> => {
    const { model } = buildModel(rank, gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 }));
    const g = model as GPT2;
    const stage = rank.coord('pp');
    const stages = rank.axisSize('pp');
    const per = g.h.length / stages;
    const mine = g.h.slice(stage * per, (stage + 1) * per).map((b, i) => new Edge(b, i === 0, i === per - 1));
    const ids = rank.randint([2, 8], 64, { key: 'ids' });
    let x: Tensor = stage === 0 ? await g.embed(ids) : rank.zeros([2, 8, 32]);
    for (const l of mine) x = await l.call(x);
    if (stage === stages - 1) await rank.backward(ops.crossEntropy(ops.reshape(await g.head(x), [16, 64]), ops.reshape(ids, [16])));
    else await rank.comm.backwardFromPeer(x, rank.comm.peer('pp', +1)!);
    if (tied) g.wte.weight.grad = await rank.comm.allReduce(g.wte.weight.grad!, { axis: 'pp' });
  };
}

/** A row-parallel layer of the person's own that adds its bias on every rank, then sums. */
class BiasFirstRow extends Module {
  constructor(public weight: Tensor, public bias: Tensor) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const y = ops.add(ops.matmul(x, this.weight), this.bias); // [B, S, H] partial, plus b on every rank
    return x.ctx.comm.allReduce(y, { axis: 'tp' });
  }
}

class Column extends Module {
  constructor(public weight: Tensor, public bias: Tensor) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    return ops.add(ops.matmul(x.ctx.comm.copyToGroup(x, { axis: 'tp' }), this.weight), this.bias); // [B, S, 4H/tp]
  }
}

describe('a custom program, verified against its own world-size-1 run', () => {
  test("seed Problems 1–2 (pipeline_stage_edges.ts): every block's output on pp=2 × tp=2 equals the one-stage run's; the wrapper is seen through", async () => {
    const r = await example('pipeline_stage_edges.ts');
    assert.deepEqual(r.errors, []);
    const v = r.verification;
    assert.equal(v.reference, 'world-size-1');
    assert.equal(v.skipped, undefined);
    assert.equal(v.passed, true);
    const names = v.outputs.map((c) => c.name);
    for (const n of ['wte', 'h.0', 'h.1', 'h.2', 'h.3', 'h.3.mlp.c_fc', 'ln_f', 'lm_head']) assert.ok(names.includes(n), `${n} compared (${names.join(', ')})`);
    assert.ok(!names.some((n) => n.startsWith('PipelineStageLayer')), 'the stage wrapper hands on its layer\'s output: not compared');
    assert.ok(v.outputs.every((c) => c.passed));
  });

  test("the student's own wrapper with backward across stages and the tied embedding summed (pipeline_seed_train.ts): outputs and every parameter's gradient match", async () => {
    const r = await example('pipeline_seed_train.ts');
    assert.deepEqual(r.errors, []);
    const v = r.verification;
    assert.equal(v.passed, true, JSON.stringify(v.firstDivergence));
    const grads = v.grads.map((c) => c.name).sort();
    // every parameter of the 4-block GPT-2: wte, wpe, 12 per block, ln_f's 2
    assert.equal(grads.length, 2 + 4 * 12 + 2, grads.join(', '));
    assert.ok(grads.includes('wte.weight') && grads.includes('h.3.mlp.c_proj.weight'));
    assert.ok(r.collectives.some((c) => c.op === 'send_recv' && c.phase === 'backward'), 'the gradient went back across the stage edge');
  });

  test('without the tied-embedding all-reduce, the first wrong gradient is wte.weight, a partial sum over the first and last stage (ranks 0, 2)', async () => {
    const r = await runSimulation(simulation({ mesh: { pp: 2, tp: 2 }, program: train(false) }));
    assert.deepEqual(r.errors, []);
    const d = r.verification.firstDivergence!;
    assert.equal(d.where, 'wte.weight');
    assert.match(d.message, /partial sum of this gradient: the sum over ranks 0, 2 matches — an all-reduce over them is missing/);
    assert.match(d.message, /tied to the LM head/);
    // and with it, the same program verifies: the diagnosis is about that all-reduce
    const ok = await runSimulation(simulation({ mesh: { pp: 2, tp: 2 }, program: train(true) }));
    assert.equal(ok.verification.passed, true, JSON.stringify(ok.verification.firstDivergence));
  });

  test("the person's own row layer adding its bias before the all-reduce: named at the module, counted tp times", async () => {
    const prog = async (rank: RankContext) => {
      const { model, weights } = buildModel(rank, ffn({ hidden: 16 }));
      const tp = rank.axisSize('tp');
      const w1 = weights.fc1.split(1, tp);
      const w2 = weights.fc2.split(0, tp);
      const m = model as unknown as { fc1: Module; fc2: Module; call(x: Tensor): Promise<Tensor> };
      m.fc1 = new Column(w1.weight, w1.bias!);
      m.fc2 = new BiasFirstRow(w2.weight, w2.bias!); // @row-built
      const x = rank.randn([2, 4, 16], { key: 'x' });
      const y = await m.call(x);
      await rank.backward(ops.mean(ops.mul(y, y)));
    };
    for (const tp of [2, 4]) {
      const r = await runSimulation(simulation({ mesh: { tp }, program: prog }));
      const d = r.verification.firstDivergence!;
      assert.equal(d.where, 'fc2');
      assert.match(d.message, new RegExp(`counted ${tp} times \\(output = reference \\+ ${tp - 1} × bias\\)`));
      assert.equal(d.source?.line, lineOf(THIS, '// @row-built'));
    }
  });

  test('a program that cannot run at world size 1 says so instead of guessing', async () => {
    const r = await runSimulation(simulation({ mesh: { tp: 2 }, program: async (rank) => {
      if (rank.worldSize < 2) throw new Error('this program needs two ranks');
      await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    } }));
    assert.deepEqual(r.errors, []);
    assert.equal(r.verification.passed, false);
    assert.match(r.verification.skipped ?? '', /^the program does not run at world size 1 \(.*this program needs two ranks/);
    assert.equal(r.exitCode, 1);
  });

  test('meta mode and verify: false do not run the reference', async () => {
    const r = await runSimulation(simulation({ mesh: { pp: 2, tp: 2 }, mode: 'meta', program: train(true) }));
    assert.deepEqual(r.errors, []);
    assert.match(r.verification.skipped ?? '', /meta mode/);
    const off = await runSimulation(simulation({ mesh: { pp: 2, tp: 2 }, verify: false, program: train(true) }));
    assert.match(off.verification.skipped ?? '', /verification is off/);
  });

  test("the same wrapper inside a model run (pp=2), where AutoDist's pipeline already moves activations: stopped at the wrapper's send or recv, not sent twice", async () => {
    const r = await runSimulation(simulation({
      mesh: { pp: 2, tp: 2 },
      model: gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 }),
      input: { batch: 2, seq: 8 },
      parallelize(model, { pp }) {
        const g = model as unknown as GPT2;
        for (let i = 0; i < 2; i++) g.h[pp.index * 2 + i] = new Edge(g.h[pp.index * 2 + i], i === 0, i === 1);
      },
    }));
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    assert.equal(e.kind, 'config');
    assert.match(e.headline, /^ranks? [\d, ]+: (send to|recv from) the (next|previous) pipeline stage inside layer h\.[1-2]: in a model run with pp > 1 AutoDist's pipeline already moves/);
    assert.ok([lineOf(THIS, '// @edge-send'), lineOf(THIS, '// @edge-recv')].includes(e.source?.line ?? -1), JSON.stringify(e.source));
    assert.match(e.fix ?? '', /program/);
    assert.ok(e.ranks.every((x) => /^(send to|recv from) rank \d here$/.test(x.detail)), JSON.stringify(e.ranks));
    // nothing crossed the stage edge twice: the runtime's own sends only
    assert.ok(r.collectives.filter((c) => c.op === 'send_recv').every((c) => !c.module), JSON.stringify(r.collectives.filter((c) => c.op === 'send_recv').map((c) => c.module)));
  });
});
