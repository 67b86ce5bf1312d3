/**
 * Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models"),
 * Table 5: end-to-end iteration time on A100 80GB GPUs, both columns — full recomputation (tensor
 * and pipeline parallelism, no sequence parallelism) and the paper's method (sequence parallelism
 * + selective recomputation) — reproduced by the analytic time model with the paper's own
 * configurations (Table 3): sequence 2048, vocabulary 51200, data parallel 1, micro-batch 4 for
 * 22B (one micro-batch, no pipeline) and 1 for the others, the interleaved schedule with 3 model
 * chunks per pipeline rank for 175B and 530B, 1F1B for 1T. Megatron's unfused core attention,
 * dropout, and its tensor-parallel overlap of the time (the async dX all-reduce / SP reduce-scatter
 * behind the weight-gradient GEMMs: the planner's default tpOverlap 'backward'). The hardware is
 * the a100 preset unchanged (NVLink at the 240 GB/s NCCL reaches of its 300).
 *
 * Cross-check of the configurations: with them, 72·B·s·l·h²(1 + s/(6h) + V/(12hl)) / (time · GPUs ·
 * 312 TFLOP/s) gives 41.6 %, 51.4 %, 56.0 %, 56.3 % — the MFU the paper (and Megatron-LM's README)
 * reports for 22B, 175B, 530B and 1T with its method.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2 } from '../../src/models/gpt2.js';
import { makeSetup } from '../../src/planner/setup.js';
import { estimateTime, stageTime } from '../../src/planner/time.js';
import type { ParallelPlan } from '../../src/planner/plan.js';

interface Row {
  readonly name: string;
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly tp: number;
  readonly pp: number;
  readonly gpus: number;
  readonly batch: number;
  readonly microBatch: number;
  /** Model chunks per pipeline rank (1: not interleaved). */
  readonly virtual: number;
  /** Table 5, seconds: full recompute, then sequence parallelism + selective recompute. */
  readonly full: number;
  readonly present: number;
  /** Table 5 / Megatron-LM README, model FLOPs utilisation of the present column. */
  readonly mfu: number;
}

const TABLE: readonly Row[] = [
  { name: '22B', layers: 48, hidden: 6144, heads: 64, tp: 8, pp: 1, gpus: 8, batch: 4, microBatch: 4, virtual: 1, full: 1.42, present: 1.1, mfu: 0.415 },
  { name: '175B', layers: 96, hidden: 12288, heads: 96, tp: 8, pp: 8, gpus: 64, batch: 64, microBatch: 1, virtual: 3, full: 18.13, present: 13.75, mfu: 0.514 },
  { name: '530B', layers: 105, hidden: 20480, heads: 128, tp: 8, pp: 35, gpus: 280, batch: 280, microBatch: 1, virtual: 3, full: 49.05, present: 37.83, mfu: 0.56 },
  { name: '1T', layers: 128, hidden: 25600, heads: 160, tp: 8, pp: 64, gpus: 512, batch: 512, microBatch: 1, virtual: 1, full: 94.42, present: 71.49, mfu: 0.563 },
];

function estimate(r: Row, column: 'full' | 'present') {
  const spec = gpt2({ nLayer: r.layers, nEmbd: r.hidden, nHead: r.heads, vocab: 51200, nPositions: 2048 });
  const setup = makeSetup({ model: { id: r.name, dropout: true, spec }, seq: 2048, globalBatch: r.batch, gpus: r.gpus, gpu: 'a100', options: { attention: 'unfused', overlapGradReduce: false } });
  const plan: ParallelPlan = {
    tp: r.tp,
    pp: r.pp,
    dp: r.gpus / (r.tp * r.pp),
    microBatch: r.microBatch,
    schedule: r.virtual > 1 ? 'Interleaved1F1B' : '1F1B',
    virtual: r.virtual,
    sequenceParallel: column === 'present',
    recompute: column === 'present' ? 'selective' : 'full',
    zero: 0,
  };
  return estimateTime(setup, plan);
}

/**
 * Rows the model misses by more than 5 %, and why (reported as TODO, so the run shows the error
 * without failing; any other row out of tolerance fails). Full recompute: −2.5 / +0.2 / +1.9 /
 * +4.8 %; SP + selective: −7.0 / −3.7 / −2.2 / +3.0 % (22B / 175B / 530B / 1T). One row is out:
 *   - 22B SP + selective. Its layers match the paper's Table 4 (tested below, within 1 %), but the
 *     step outside them does not: 1.10 s − 48 × 20.3 ms = 126 ms published (1.42 s − 48 × 27.2 ms =
 *     114 ms in the full column) against 58 ms in the model (Adam over 2.75 B parameters per GPU,
 *     the head). Megatron's step of the time also made separate passes over the gradients and
 *     weights (the gradient norm and clipping, the main → model copy, zeroing the gradient buffer)
 *     and had its data loading and host overheads; at 8 GPUs and one micro-batch of 4 they weigh
 *     ~6 % of the step, and the full column hides them within its 5 %.
 * The model's gain of SP + selective over full recompute (+34 to +37 %) stays above the paper's
 * (+29 to +32 %): besides the 22B step above, Table 4 shows SP saving 0.1 ms of a 22B layer's
 * backward (11.9 → 11.8 ms) where the model saves 0.35 ms (12.30 → 11.95): it hides the SP
 * re-gather and reduce-scatter behind the GEMMs, as Megatron's code of the time did, without
 * charging the SMs an overlapped NCCL kernel takes from the GEMM beside it.
 */
const KNOWN_OUT: Readonly<Record<string, string>> = {
  '22B present': 'the step outside the layers at 8 GPUs and one micro-batch (see above)',
};

const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} %`;

for (const r of TABLE) {
  for (const column of ['full', 'present'] as const) {
    const t = estimate(r, column);
    const seconds = t.stepUs / 1e6;
    const published = r[column];
    const err = (seconds - published) / published;
    const what = column === 'full' ? 'full recompute' : 'SP + selective';
    const todo = KNOWN_OUT[`${r.name} ${column}`];
    test(`Korthikanti Table 5, ${r.name} ${what}: ${seconds.toFixed(2)} s vs ${published} s published (${signed(err)})${column === 'present' ? `, MFU ${(100 * t.mfu).toFixed(1)} % vs ${(100 * r.mfu).toFixed(1)} %` : ''}`, todo ? { todo } : {}, () => {
      assert.ok(Math.abs(err) <= 0.05, `${r.name} ${what}: ${seconds} s vs ${published} s (${signed(err)})`);
    });
  }
}

test('Korthikanti Table 5: the gain of SP + selective recompute over full recompute, model vs published', { todo: 'the 22B step outside the layers and the SP backward\'s overlap (see KNOWN_OUT)' }, () => {
  const lines: string[] = [];
  for (const r of TABLE) {
    const gain = estimate(r, 'full').stepUs / estimate(r, 'present').stepUs - 1;
    const published = r.full / r.present - 1;
    lines.push(`${r.name}: +${(100 * gain).toFixed(1)} % vs +${(100 * published).toFixed(1)} % published`);
  }
  console.log(`# throughput gain: ${lines.join('; ')}`);
  for (const r of TABLE) {
    const gain = estimate(r, 'full').stepUs / estimate(r, 'present').stepUs - 1;
    assert.ok(Math.abs(gain - (r.full / r.present - 1)) <= 0.05, lines.join('; '));
  }
});

test('the published times and MFUs agree with the configurations (72·B·s·l·h² model FLOPs)', () => {
  for (const r of TABLE) {
    const [s, h, l, V, B] = [2048, r.hidden, r.layers, 51200, r.batch];
    const flops = 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * h * l));
    const mfu = flops / (r.present * r.gpus * 312e12);
    assert.ok(Math.abs(mfu - r.mfu) < 0.003, `${r.name}: ${mfu}`);
  }
});

/**
 * Table 4: time of one transformer layer of the 22B model (h 6144, a 64, s 2048, micro-batch 4,
 * t 8), forward and backward, ms — the model's, by the difference of one stage with 2 layers and
 * with 1 (the embedding, head and optimizer cancel), Megatron's TP overlap as in Table 5.
 */
const TABLE4: readonly [string, boolean, ParallelPlan['recompute'], number, number][] = [
  ['baseline, no recompute', false, 'none', 7.7, 11.9],
  ['sequence parallelism', true, 'none', 7.2, 11.8],
  ['baseline with (full) recompute', false, 'full', 7.7, 19.5],
  ['selective recompute', false, 'selective', 7.7, 13.2],
  ['selective + sequence parallelism', true, 'selective', 7.2, 13.1],
];

function layerMs(sp: boolean, recompute: ParallelPlan['recompute']): { forward: number; backward: number } {
  const at = (layers: number) => {
    const spec = gpt2({ nLayer: layers, nEmbd: 6144, nHead: 64, vocab: 51200, nPositions: 2048 });
    const setup = makeSetup({ model: { id: '22B', dropout: true, spec }, seq: 2048, globalBatch: 4, gpus: 8, gpu: 'a100', options: { attention: 'unfused', overlapGradReduce: false } });
    return stageTime(setup, { tp: 8, pp: 1, dp: 1, microBatch: 4, schedule: '1F1B', virtual: 1, sequenceParallel: sp, recompute, zero: 0 }, 0);
  };
  const [two, one] = [at(2), at(1)];
  const forward = (two.forwardUs - one.forwardUs) / 1e3;
  return { forward, backward: (two.perMicrobatchUs - one.perMicrobatchUs) / 1e3 - forward };
}

for (const [name, sp, recompute, fwd, bwd] of TABLE4) {
  const t = layerMs(sp, recompute);
  const err = (t.forward + t.backward) / (fwd + bwd) - 1;
  test(`Korthikanti Table 4, one 22B layer, ${name}: ${t.forward.toFixed(2)} + ${t.backward.toFixed(2)} = ${(t.forward + t.backward).toFixed(2)} ms vs ${fwd} + ${bwd} = ${(fwd + bwd).toFixed(1)} ms published (${signed(err)})`, () => {
    assert.ok(Math.abs(err) <= 0.05, `${name}: ${t.forward + t.backward} ms`);
    assert.ok(Math.abs(t.forward / fwd - 1) <= 0.08 && Math.abs(t.backward / bwd - 1) <= 0.08, `forward ${t.forward} ms, backward ${t.backward} ms`);
  });
}

test('Korthikanti Tables 4 and 5, 22B: the layers match, the step outside them does not — published 1.10 − 48 × 20.3 ms = 126 ms and 1.42 − 48 × 27.2 ms = 114 ms, the model ~58 ms', () => {
  const outside = (column: 'full' | 'present', layer: { forward: number; backward: number }) => estimate(TABLE[0], column).stepUs / 1e3 - 48 * (layer.forward + layer.backward);
  const present = outside('present', layerMs(true, 'selective'));
  const full = outside('full', layerMs(false, 'full'));
  console.log(`# 22B outside the layers: model ${present.toFixed(1)} ms (SP + selective), ${full.toFixed(1)} ms (full) vs 125.6 / 114.4 ms published`);
  // the same in both columns (the optimizer, the head and the embedding do not depend on them)
  assert.ok(Math.abs(present - full) < 2, `${present} vs ${full}`);
  assert.ok(present > 40 && present < 80, String(present));
});
