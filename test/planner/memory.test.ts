import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateMemory, modelStateBytes, stageParams } from '../../src/planner/memory.js';
import type { ParallelPlan } from '../../src/planner/plan.js';
import { searchPlans } from '../../src/planner/search.js';
import { makeSetup } from '../../src/planner/setup.js';

const GB = 1e9;
const base: ParallelPlan = { tp: 8, pp: 1, dp: 1, microBatch: 1, schedule: '1F1B', virtual: 1, sequenceParallel: true, recompute: 'none', zero: 0 };

test('ZeRO sharding of the model states (Rajbhandari et al. 2020, K = 12): 16Ψ → 4Ψ + 12Ψ/d → 2Ψ + 14Ψ/d → 16Ψ/d', () => {
  const P = 1000;
  const d = 8;
  const sum = (z: 0 | 1 | 2 | 3) => Object.values(modelStateBytes(P, z, d, 2)).reduce((a, b) => a + b, 0);
  assert.equal(sum(0), 16 * P);
  assert.equal(sum(1), 4 * P + (12 * P) / d);
  assert.equal(sum(2), 2 * P + (14 * P) / d);
  assert.equal(sum(3), (16 * P) / d);
  assert.deepEqual(modelStateBytes(P, 0, d, 4), { weights: 2 * P, gradients: 4 * P, optimizer: 12 * P }, 'fp32 main grads: 18Ψ');
});

// Llama-3-70B at tp=8: each GPU holds 80 layers × (855.6M sharded / 8 + 16,384 norm weights)
// + embedding and LM head (2 × 128,256 × 8,192 / 8 = 262.7M) + the final norm = 8.82 B parameters.
test('Llama-3-70B at tp=8 holds 8.82 B parameters per GPU', () => {
  const setup = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 8, gpus: 8 });
  const psi = stageParams(setup.shape, base, 0);
  assert.ok(Math.abs(psi - 8.82e9) < 0.01e9, String(psi));
});

test('Llama-3-70B on 8×H100 (tp=8, seq 8192) does not fit: 18 bytes × 8.82 B = 159 GB of model states alone, and nothing shards them', () => {
  const setup = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 8, gpus: 8, gpu: 'h100' });
  for (const recompute of ['none', 'full'] as const) {
    const m = estimateMemory(setup, { ...base, recompute });
    const states = m.peak.weights + m.peak.gradients + m.peak.optimizer;
    assert.ok(Math.abs(states - 18 * 8.82e9) < 0.2 * GB, `states ${states / GB} GB`);
    assert.equal(m.fits, false);
    assert.ok(-m.marginBytes > 80 * GB, `OOM by only ${-m.marginBytes / GB} GB`);
  }
  // ZeRO has nothing to shard over at dp = 1, so no plan of any kind fits on one node
  const r = searchPlans(setup);
  assert.equal(r.ranked.length, 0);
  const oom = r.failures.find((g) => g.kind === 'oom')!;
  assert.ok(oom.closest && oom.closest.overBytes > 50 * GB, 'even the closest plan is far off');
});

// 64×H100, tp=8 × dp=8, ZeRO-1, SP, b=1, seq 8192, Megatron's unfused attention, fp32 grads.
//   model states: 2Ψ + 4Ψ + 12Ψ/8 = 7.5 × 8.82 B = 66.2 GB
//   one layer (Korthikanti Eq. 4 with GQA/SwiGLU, no dropout):
//     sbh/t-type terms 339.7 MB (see activations.test.ts) + scores 2·a·s²·b/t = 2·64·8192²/8 = 1,073.7 MB
//   no recompute: 80 × 1,413.5 MB = 113.1 GB of activations → OOM by ~100 GB
//   full recompute: 80 × 2sbh/t = 80 × 16.8 MB = 1.34 GB, + the layer being recomputed 1.41 GB,
//     + head inputs 4sbh/t 33.6 MB + fp32 logits 4·s·V/t = 525.3 MB + their bf16 gradient 2·s·V/t = 262.7 MB
//     → 69.8 GB: fits in 80.8 GB (CUDA's 79.19 GiB on an H100 80GB, less the 5 % reserve): margin 13.6 %
test('Llama-3-70B on 64×H100 (tp=8 dp=8 ZeRO-1 SP, seq 8192, unfused attention): no recompute OOM by ~100 GB; full recompute fits', () => {
  const setup = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 64, gpus: 64, gpu: 'h100', options: { attention: 'unfused' } });
  const plan: ParallelPlan = { ...base, dp: 8, zero: 1 };
  const none = estimateMemory(setup, plan);
  assert.ok(Math.abs(none.peak.activations - (80 * 1_413_480_448 + 33_554_432 + 525_336_576 + 262_668_288)) < 1e6, `${none.peak.activations}`);
  assert.equal(none.fits, false);
  assert.ok(-none.marginBytes > 95 * GB && -none.marginBytes < 110 * GB, `OOM by ${-none.marginBytes / GB} GB`);

  const full = estimateMemory(setup, { ...plan, recompute: 'full' });
  const states = full.peak.weights + full.peak.gradients + full.peak.optimizer;
  assert.ok(Math.abs(states - 7.5 * 8.82e9) < 0.1 * GB, `states ${states / GB}`);
  assert.ok(Math.abs(full.peak.total - 69.8 * GB) < 0.3 * GB, `total ${full.peak.total / GB} GB`);
  assert.equal(full.fits, true);
  assert.ok(Math.abs(full.marginFraction - (1 - 69.8e9 / (0.95 * 79.19 * 2 ** 30))) < 0.005, `margin ${full.marginFraction}`);
});

test('the logits matter for a 128k vocabulary: s·b·V/t × 4 bytes = 525 MB per micro-batch at s 8192, t 8', () => {
  const setup = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 64, gpus: 64 });
  const m = estimateMemory(setup, { ...base, dp: 8, zero: 1, recompute: 'full' });
  assert.equal(m.peak.logits, (4 * 8192 * 128256) / 8);
});

test('pipeline stages: the first holds the most activations under 1F1B, the last the logits', () => {
  const setup = makeSetup({ model: 'llama-3-8b', seq: 4096, globalBatch: 64, gpus: 16 });
  const m = estimateMemory(setup, { ...base, tp: 2, pp: 4, dp: 2, recompute: 'none' });
  assert.equal(m.stages.length, 4);
  assert.ok(m.stages[0].activations > m.stages[1].activations && m.stages[1].activations > m.stages[2].activations);
  assert.equal(m.stages[0].logits, 0);
  assert.ok(m.stages[3].logits > 0);
  assert.equal(m.peak.stage, 0);
});
