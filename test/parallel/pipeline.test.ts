import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, simulation, type Plan } from '../../src/parallel/index.js';
import { gpt2 } from '../../src/models/gpt2.js';
import { useBackend } from '../helpers/backend.js';
import { getHardware } from '../../src/core/index.js';
import { stackModel } from '../fixtures/stack-model.js';

before(async () => {
  await useBackend();
});

const PLAN: Plan = { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' };
const model = () => gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 });

describe('pipeline parallel GPT-2', () => {
  for (const schedule of ['GPipe', '1F1B'] as const) {
    test(`pp=2, ${schedule}, 4 micro-batches: verified; stages h.0–h.1 | h.2–h.3`, async () => {
      const r = await runSimulation(simulation({ mesh: { pp: 2 }, model: model(), input: { batch: 8, seq: 8, microbatches: 4 }, schedule }));
      assert.equal(r.errors.length, 0, JSON.stringify(r.errors, null, 1));
      assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
      assert.deepEqual(r.stages.map((s) => s.layers), [['embed', 'h.0', 'h.1'], ['h.2', 'h.3', 'head']]);
      const p2p = r.collectives.filter((c) => c.op === 'send_recv');
      // 4 activations forward and 4 gradients backward across the one stage edge
      assert.equal(p2p.filter((c) => c.phase === 'forward').length, 4);
      assert.equal(p2p.filter((c) => c.phase === 'backward').length, 4);
      for (const c of p2p) assert.equal(c.bytes, 2 * 8 * 32 * 4);
      assert.equal(r.pipeline?.peakStash[0], schedule === 'GPipe' ? 4 : 2);
      assert.equal(r.pipeline?.peakStash[1], schedule === 'GPipe' ? 4 : 1);
      // the tied embedding's gradient is summed over the first and last stage
      assert.equal(r.collectives.filter((c) => c.label === 'tied_grad_sync').length, 1);
    });
  }

  test('dp=2 × pp=2 × tp=2 with a plan, 1F1B: the full 3-D case verifies', async () => {
    const r = await runSimulation(simulation({ mesh: { dp: 2, pp: 2, tp: 2 }, model: model(), input: { batch: 8, seq: 8, microbatches: 2 }, schedule: '1F1B', plan: PLAN }));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors, null, 1));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    assert.ok(r.collectives.some((c) => c.label === 'dp_grad_sync' && c.phase === 'optimizer'));
  });

  test('Interleaved1F1B with 2 virtual stages per rank verifies', async () => {
    const r = await runSimulation(simulation({ mesh: { pp: 2 }, model: model(), input: { batch: 8, seq: 8, microbatches: 4 }, schedule: 'Interleaved1F1B' }));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors, null, 1));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    assert.deepEqual(r.stages.map((s) => s.layers), [['embed', 'h.0', 'h.2'], ['h.1', 'h.3', 'head']]);
  });

  test('bad pipeline input is refused with the fix', async () => {
    const tooMany = await runSimulation(simulation({ mesh: { pp: 8 }, model: model(), input: { batch: 8, seq: 8, microbatches: 8 } }));
    assert.equal(tooMany.exitCode, 2);
    assert.match(tooMany.errors[0].message, /8 pipeline stages but only 4 layers/);
    assert.throws(() => simulation({ mesh: { pp: 2 }, model: model(), input: { batch: 6, seq: 8, microbatches: 4 } }), /does not split into 4 micro-batches/);
    assert.throws(() => simulation({ mesh: { pp: 2 }, model: model(), input: { batch: 6, seq: 8, microbatches: 3 }, schedule: 'Interleaved1F1B' }), /multiple of pp/);
  });
});

describe('pipeline bubbles on uniform stages (Narayanan et al. 2021)', () => {
  // links and memory traffic made free, so the timeline holds only the layers' matmuls
  const hw = getHardware('h100', { nvlinkLatencyUs: 0, nicLatencyUs: 0, nvlinkBandwidth: 1e18, nicBandwidth: 1e18, kernelLaunchUs: 0, hbmBandwidth: 1e18 });
  const cases = [
    { schedule: '1F1B', m: 8, v: 1, stash: [4, 3, 2, 1] },
    { schedule: 'GPipe', m: 8, v: 1, stash: [8, 8, 8, 8] },
    { schedule: '1F1B', m: 16, v: 1, stash: [4, 3, 2, 1] },
    { schedule: 'Interleaved1F1B', m: 8, v: 2, stash: [11, 9, 7, 5] },
  ] as const;
  for (const c of cases) {
    test(`${c.schedule}, p=4, m=${c.m}${c.v > 1 ? `, v=${c.v}` : ''}: measured bubble = (p−1)/(v·m)`, async () => {
      const r = await runSimulation(simulation({ mesh: { pp: 4 }, mode: 'meta', model: stackModel(8, 1024), input: { batch: c.m, seq: 512, microbatches: c.m }, schedule: c.schedule, stages: { virtual: c.v }, hardware: hw }));
      assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
      const want = 3 / (c.v * c.m);
      assert.equal(r.pipeline!.bubbleFormula, want);
      for (const b of r.pipeline!.bubblePerStage) assert.ok(Math.abs(b - want) / want < 0.005, `stage bubble ${b} vs ${want}`);
      assert.deepEqual(r.pipeline!.peakStash, c.stash);
    });
  }
});
