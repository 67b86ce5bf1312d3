import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ColumnParallelLinear, RowParallelLinear, runSimulation, simulation, type Plan } from '../../src/parallel/index.js';
import { gpt2 } from '../../src/models/gpt2.js';
import { ffn } from '../../src/models/ffn.js';
import type { Model } from '../../src/models/model.js';
import type { Module } from '../../src/models/nn/module.js';
import { useBackend } from '../helpers/backend.js';

before(async () => {
  await useBackend();
});

const PLAN: Plan = { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' };
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);

test('meta mode, built-in model and a plan only: dp/tp fold at any size, and the figures equal every rank running', async () => {
  const spec = { mesh: { dp: 2, pp: 2, tp: 2 }, mode: 'meta' as const, model: gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 }), input: { batch: 8, seq: 8, microbatches: 4 }, schedule: '1F1B' as const, plan: PLAN };
  const folded = await runSimulation(simulation(spec));
  const every = await runSimulation(simulation({ ...spec, fold: false }));
  assert.deepEqual(folded.folded?.axes, ['dp', 'tp']);
  assert.deepEqual(folded.folded?.representatives, [0, 4]); // one rank per pipeline stage (tp fastest, then dp, then pp)
  assert.equal(every.folded, undefined);
  assert.equal(folded.errors.length + every.errors.length, 0);
  near(folded.timeline.stepTimeUs, every.timeline.stepTimeUs, 'step time');
  assert.equal(folded.traffic.totalBytes, every.traffic.totalBytes);
  assert.equal(folded.traffic.totalWireBytes, every.traffic.totalWireBytes);
  const calls = (r: typeof folded) => r.collectives.reduce((a, c) => a + c.multiplicity, 0);
  assert.equal(calls(folded), calls(every));
  assert.deepEqual(folded.memory.perRank.map((m) => m.peakBytes), every.memory.perRank.map((m) => m.peakBytes));
});

test('meta mode with the person\'s own parallelize code: every rank runs below 65 ranks (asymmetric bugs show)', async () => {
  const r = await runSimulation(
    simulation({
      mesh: { tp: 4 },
      mode: 'meta',
      model: ffn({ hidden: 64 }),
      input: { batch: 2, seq: 8 },
      parallelize(model: Model, { tp, weights }) {
        const m = model as unknown as { fc1: Module; fc2: Module };
        m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
        m.fc2 = new RowParallelLinear(weights.fc2.split(0, tp));
      },
    }),
  );
  assert.equal(r.errors.length, 0);
  assert.equal(r.folded, undefined);
  assert.ok(r.collectives.every((c) => c.multiplicity === 1));
});

test('a custom program folds when its spec says so (and above 64 ranks by default); its figures equal every rank running', async () => {
  const program = async (rank: import('../../src/core/index.js').RankContext) => {
    const x = rank.zeros([4, 8]);
    const y = await rank.comm.allReduce(x, { axis: 'tp' });
    await rank.comm.allGather(y, { axis: 'dp', dim: 0 });
  };
  const spec = { mesh: { dp: 2, tp: 4 }, mode: 'meta' as const, program };
  const folded = await runSimulation(simulation({ ...spec, fold: ['dp', 'tp'] }));
  const every = await runSimulation(simulation(spec)); // 8 ranks, the default: every rank runs
  const big = await runSimulation(simulation({ ...spec, mesh: { dp: 16, tp: 8 } })); // 128 ranks: folded by default
  assert.deepEqual(folded.folded?.axes, ['dp', 'tp']);
  assert.deepEqual(folded.folded?.representatives, [0]);
  assert.equal(every.folded, undefined);
  assert.deepEqual(big.folded?.axes, ['dp', 'tp']);
  assert.equal(folded.errors.length + every.errors.length + big.errors.length, 0);
  assert.equal(folded.collectives.length, 2); // one entry per kind of call, standing for every group
  assert.deepEqual(folded.collectives.map((c) => c.multiplicity), [2, 4]);
  assert.equal(folded.traffic.totalWireBytes, every.traffic.totalWireBytes);
  near(folded.timeline.stepTimeUs, every.timeline.stepTimeUs, 'step time');
});
