/**
 * Fused SwiGLU (ops.swiglu; a Llama config's `swiglu: "fused"`; the planner's `--swiglu fused`):
 * one kernel keeping gate and up for the backward instead of gate, silu(gate) and up.
 *   - its values and gradients are bit for bit those of mul(silu(gate), up);
 *   - the meta simulation keeps exactly 2·s·b·F/t bytes less per layer, and each variant's layer
 *     is the planner's formula (./activations.ts) to the byte;
 *   - the planner and the simulation of a fused plan agree within 5 % (step and peak).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { simulate, ops } from '../../src/core/index.js';
import { llama } from '../../src/models/llama.js';
import { layerActivations } from '../../src/planner/activations.js';
import type { ParallelPlan } from '../../src/planner/plan.js';
import { makeSetup } from '../../src/planner/setup.js';
import { agreement, planToSpec, simulatePlan } from '../../src/planner/spec.js';
import { runSimulation } from '../../src/parallel/simulation/run.js';
import { shapeOf } from '../../src/planner/shape.js';

before(async () => {
  await useBackend();
});

test('ops.swiglu gives mul(silu(gate), up) bit for bit, forward and backward', async () => {
  const res = await simulate({ mesh: { dp: 1 } }, async (rank) => {
    const out: number[][] = [];
    for (const fused of [true, false]) {
      const g = rank.randn([4, 33], { key: 'g', std: 3, requiresGrad: true }); // [B, F]
      const u = rank.randn([4, 33], { key: 'u', requiresGrad: true }); // [B, F]
      const dy = rank.randn([4, 33], { key: 'dy' });
      const y = fused ? ops.swiglu(g, u) : ops.mul(ops.silu(g), u);
      await rank.backward(ops.sum(ops.mul(y, dy)));
      out.push([...(await y.values()), ...(await g.grad!.values()), ...(await u.grad!.values())]);
    }
    return out;
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  const [fused, unfused] = res.returns[0] as number[][];
  assert.equal(fused.length, 3 * 4 * 33);
  assert.deepEqual(fused, unfused);
});

test('ops.swiglu refuses gate and up of different shapes, naming both', async () => {
  const res = await simulate({ mesh: { dp: 1 } }, async (rank) => ops.swiglu(rank.randn([2, 8], { key: 'a' }), rank.randn([2, 4], { key: 'b' })));
  assert.equal(res.ok, false);
  assert.match(res.errors[0].message, /swiglu: gate .*\[2, 8\].* and up .*\[2, 4\].* must have the same shape/);
});

// a Llama-3-8B-like layer, narrowed: h 1024, 8 heads / 2 kv, F 3584; s 512, t 2 with SP, FlashAttention
const cfg = { name: 'llama-small', hidden: 1024, nHead: 8, nKvHead: 2, ffnHidden: 3584, vocab: 2048, maxPositions: 1024, rmsNormEps: 1e-5 } as const;
const [S, T, F] = [512, 2, 3584];
const plan: ParallelPlan = { tp: T, pp: 1, dp: 1, microBatch: 1, schedule: '1F1B', virtual: 1, sequenceParallel: true, recompute: 'none', zero: 0 };

/** One layer's activations in meta mode: the peak with 3 layers minus the peak with 2. */
async function measuredPerLayer(swiglu: 'fused' | 'unfused'): Promise<number> {
  const peak = async (nLayer: number) => {
    const spec = llama({ ...cfg, nLayer });
    const setup = makeSetup({ model: { id: 'llama-small', dropout: false, spec }, seq: S, globalBatch: 1, gpus: T, options: { swiglu } });
    const r = await runSimulation({ ...planToSpec(plan, setup), optimizer: undefined }); // activations only
    assert.equal(r.errors.length, 0, r.errors.map((e) => e.message).join('\n'));
    return r.memory.perRank[0].peakTransientBytes;
  };
  return (await peak(3)) - (await peak(2));
}

test('the simulation keeps 2·s·b·F/t bytes less per layer with the fused SwiGLU, and each is the planner\'s formula to the byte', async () => {
  const m = shapeOf({ id: 'llama-small', dropout: false, spec: llama({ ...cfg, nLayer: 2 }) });
  const formula = (swiglu: 'fused' | 'unfused') => layerActivations(m, { seq: S, microBatch: 1, tp: T, sequenceParallel: true, recompute: 'none', attention: 'flash', swiglu }).total;
  const [fused, unfused] = [await measuredPerLayer('fused'), await measuredPerLayer('unfused')];
  assert.equal(unfused - fused, (2 * S * F) / T); // silu(gate): [1, 512, 3584/2] bf16
  // FlashAttention's fp32 log-sum-exp (4·a·s·b/t) is the one term the planner leaves out
  const lse = (4 * 8 * S) / T;
  assert.equal(fused, formula('fused') + lse);
  assert.equal(unfused, formula('unfused') + lse);
});

test('planner and meta simulation agree within 5 % with the fused SwiGLU (Llama-3-8B\'s layer ×4, s 4096, tp2 dp2, SP)', async () => {
  const spec = llama({ name: 'llama-3-8b-4l', nLayer: 4, hidden: 4096, nHead: 32, nKvHead: 8, ffnHidden: 14336, vocab: 128256, ropeTheta: 500000, rmsNormEps: 1e-5, maxPositions: 8192 });
  const p: ParallelPlan = { ...plan, dp: 2 };
  const setup = makeSetup({ model: { id: 'llama-3-8b-4l', dropout: false, spec }, seq: 4096, globalBatch: 8, gpus: 4, gpu: 'h100', options: { swiglu: 'fused' } });
  const r = await simulatePlan(p, setup);
  assert.equal(r.errors.length, 0);
  const a = agreement(setup, p, r);
  const step = a.simulator.stepUs / a.equivalent.stepUs;
  const peak = a.simulator.peakBytes / a.equivalent.peakBytes;
  assert.ok(Math.abs(step - 1) <= 0.05, `step: simulated / planned = ${step.toFixed(3)}`);
  assert.ok(Math.abs(peak - 1) <= 0.05, `peak: simulated / planned = ${peak.toFixed(3)}`);
  // and the fused plan's peak is below the unfused one's, on both sides
  const unfused = makeSetup({ model: { id: 'llama-3-8b-4l', dropout: false, spec }, seq: 4096, globalBatch: 8, gpus: 4, gpu: 'h100' });
  const ru = await simulatePlan(p, unfused);
  const au = agreement(unfused, p, ru);
  assert.ok(a.simulator.peakBytes < au.simulator.peakBytes && a.equivalent.peakBytes < au.equivalent.peakBytes);
});

test('a Llama config with an unknown swiglu is refused, naming the two it takes', () => {
  assert.throws(() => llama({ ...cfg, nLayer: 1, swiglu: 'fast' as never }), (e: Error & { fix?: string }) => /swiglu must be "unfused" or "fused", got "fast"/.test(e.message) && /swiglu: "fused"/.test(String(e.fix)));
});
