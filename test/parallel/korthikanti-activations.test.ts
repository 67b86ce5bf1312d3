/**
 * The simulator's activation memory per transformer layer against Korthikanti et al. 2022
 * ("Reducing Activation Recomputation in Large Transformer Models", §4, Table 2), exactly.
 *
 * Measured, not computed: each case runs the model in meta mode with L and L + 1 layers and takes
 * the difference of the peak activation bytes (peak minus parameters and gradients) — one more
 * layer's stash, whatever else sits at the peak. The models are GPT-3 shapes of the paper's
 * Table 3 (22B: h 6144, a 64, micro-batch 4; 175B: h 12288, a 96, micro-batch 1; s 2048, t 8),
 * trained as the paper counts: 16-bit activations (bf16), dropout (p = 0.1, 1-byte masks),
 * Megatron's unfused core attention. Formulas, bytes per layer:
 *   no parallelism                 sbh(34 + 5as/h)
 *   tensor parallel                sbh(10 + 24/t + 5as/(ht))
 *   tensor + sequence parallel     sbh/t · (34 + 5as/h)
 *   selective recompute            sbh(10 + 24/t), with SP sbh·34/t  (the 5as/h term goes)
 *   full recompute                 2sbh, with SP 2sbh/t  (the layer's input)
 * FlashAttention drops the 5as/h term and keeps its fp32 log-sum-exp instead, 4·as·b/t bytes
 * (which the planner's formula leaves out: it is 0.1–0.2 % of a layer here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2 } from '../../src/models/gpt2.js';
import { runSimulation } from '../../src/parallel/simulation/run.js';
import type { SimulationSpec } from '../../src/parallel/simulation/spec.js';
import type { ParallelPlan } from '../../src/planner/plan.js';
import { makeSetup } from '../../src/planner/setup.js';
import { planToSpec } from '../../src/planner/spec.js';

interface Shape {
  readonly name: string;
  readonly h: number;
  readonly a: number;
  readonly b: number;
}

const SHAPES: readonly Shape[] = [
  { name: '22B', h: 6144, a: 64, b: 4 },
  { name: '175B', h: 12288, a: 96, b: 1 },
];
const S = 2048;
const T = 8;

type Case = { readonly tp: number; readonly sp: boolean; readonly attention: 'unfused' | 'flash'; readonly recompute?: 'selective' | 'full' };

/** Peak activation bytes on rank 0 of a GPT with `layers` layers under the case. */
async function peakActivations(shape: Shape, layers: number, c: Case, extra: Partial<SimulationSpec> = {}): Promise<number> {
  const spec = gpt2({ nLayer: layers, nEmbd: shape.h, nHead: shape.a, vocab: 1024, nPositions: S, attention: c.attention, dropout: 0.1 });
  const setup = makeSetup({ model: { id: shape.name, dropout: true, spec }, seq: S, globalBatch: shape.b, gpus: c.tp, gpu: 'a100', options: { attention: c.attention } });
  const plan: ParallelPlan = { tp: c.tp, pp: 1, dp: 1, microBatch: shape.b, schedule: '1F1B', virtual: 1, sequenceParallel: c.sp, recompute: 'none', zero: 0 };
  const r = await runSimulation({ ...planToSpec(plan, setup), recompute: c.recompute, optimizer: undefined, ...extra }); // activations only: no pinned main gradients
  assert.equal(r.errors.length, 0, r.errors.map((e) => e.message).join('\n'));
  return r.memory.perRank[0].peakTransientBytes;
}

/** One layer's activations, measured: the peak with one more layer minus the peak without it. */
export async function measuredPerLayer(shape: Shape, c: Case, extra: Partial<SimulationSpec> = {}): Promise<number> {
  return (await peakActivations(shape, 3, c, extra)) - (await peakActivations(shape, 2, c, extra));
}

/** Korthikanti's per-layer bytes (Eq. 1, 2, 4), multiplied out (sbh·5as/h = 5as²b) so they stay integers. */
function formula(shape: Shape, c: Case): number {
  const { h, a, b } = shape;
  const t = c.tp;
  const sbh = S * b * h;
  const scores = c.attention === 'unfused' ? 5 * a * S * S * b : 0; // sbh · 5as/h
  const lse = c.attention === 'flash' ? (4 * a * S * b) / t : 0;
  if (c.recompute === 'full') return c.sp ? (2 * sbh) / t : 2 * sbh; // the layer's input only (Table 2)
  if (c.recompute === 'selective') return t === 1 ? 34 * sbh : c.sp ? (34 * sbh) / t : 10 * sbh + (24 * sbh) / t; // the 5as/h term goes
  if (t === 1) return 34 * sbh + scores + lse;
  if (!c.sp) return 10 * sbh + (24 * sbh) / t + scores / t + lse;
  return (34 * sbh) / t + scores / t + lse;
}

const CASES: readonly [string, Case][] = [
  ['no parallelism, sbh(34 + 5as/h)', { tp: 1, sp: false, attention: 'unfused' }],
  [`tensor parallel t=${T}, sbh(10 + 24/t + 5as/(ht))`, { tp: T, sp: false, attention: 'unfused' }],
  [`tensor + sequence parallel t=${T}, sbh/t·(34 + 5as/h)`, { tp: T, sp: true, attention: 'unfused' }],
  [`FlashAttention, tensor + sequence parallel t=${T}, sbh·34/t + 4asb/t (log-sum-exp)`, { tp: T, sp: true, attention: 'flash' }],
  ['FlashAttention, no parallelism, 34sbh + 4asb', { tp: 1, sp: false, attention: 'flash' }],
  [`selective recompute, tensor parallel t=${T}, sbh(10 + 24/t)`, { tp: T, sp: false, attention: 'unfused', recompute: 'selective' }],
  [`selective recompute, tensor + sequence parallel t=${T}, sbh·34/t`, { tp: T, sp: true, attention: 'unfused', recompute: 'selective' }],
  ['full recompute, no parallelism, 2sbh (the layer input)', { tp: 1, sp: false, attention: 'unfused', recompute: 'full' }],
  [`full recompute, tensor parallel t=${T}, 2sbh`, { tp: T, sp: false, attention: 'unfused', recompute: 'full' }],
  [`full recompute, tensor + sequence parallel t=${T}, 2sbh/t`, { tp: T, sp: true, attention: 'unfused', recompute: 'full' }],
];

for (const shape of SHAPES) {
  for (const [what, c] of CASES) {
    const expected = formula(shape, c);
    test(`Korthikanti, GPT ${shape.name} (h ${shape.h}, a ${shape.a}, b ${shape.b}, s ${S}): ${what} = ${expected.toLocaleString('en-US')} B per layer, measured exactly`, async () => {
      const measured = await measuredPerLayer(shape, c);
      assert.equal(measured, expected, `${shape.name} ${what}: measured ${measured} B vs formula ${expected} B (${(measured / expected).toFixed(4)}×)`);
    });
  }
}
