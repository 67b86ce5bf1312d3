/**
 * Llama 3 405B pre-training on 16,384 H100 80 GB GPUs (Llama Team 2024, "The Llama 3 Herd of
 * Models", §3.3.2 and Table 4): tp 8, cp 1, pp 16, dp 128, sequence 8,192, batch 16 sequences per
 * data-parallel group (16M tokens: 2,048 sequences), 400 TFLOP/s per GPU, BF16 MFU 41 %.
 * The rest of the configuration, from §3.3.2:
 *   - uneven stages: "one Transformer layer is reduced each from the first and the last stages",
 *     so that "the first model chunk on the first stage has only the embedding, and the last model
 *     chunk on the last stage has only output projection and loss" — 126 layers in 16 × 8 one-layer
 *     chunks, the first and the last empty: the interleaved schedule with v = 8;
 *   - micro-batch 1 (16 micro-batches per step, bubble (pp − 1)/(v·m) as the paper writes);
 *   - no activation checkpointing ("pre-trained on sequences of 8K tokens without activation
 *     checkpointing");
 *   - FSDP that shards the optimizer states and gradients and keeps the weights unsharded through
 *     the step (ZeRO-2 here), fp32 gradients, its reduce-scatter and prefetch asynchronous
 *     (overlapped); no tensor-parallel communication overlap is mentioned (none here);
 *   - sequence parallelism with tensor parallelism (the paper cites Korthikanti et al.), FlashAttention.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSetup } from '../../src/planner/setup.js';
import { estimateMemory } from '../../src/planner/memory.js';
import { estimateTime } from '../../src/planner/time.js';
import type { ParallelPlan } from '../../src/planner/plan.js';
import { stageLayerCount } from '../../src/planner/layout.js';

const setup = makeSetup({ model: 'llama-3-405b', seq: 8192, globalBatch: 2048, gpus: 16384, gpu: 'h100', options: { tpOverlap: 'none', overlapGradReduce: true } });
const plan: ParallelPlan = { tp: 8, pp: 16, dp: 128, microBatch: 1, schedule: 'Interleaved1F1B', virtual: 8, sequenceParallel: true, recompute: 'none', zero: 2 };
const time = estimateTime(setup, plan);
const memory = estimateMemory(setup, plan);
const GB = 1e9;

test('Llama 3 405B layout: 126 layers on 16 stages, the first and last 7, the others 8', () => {
  assert.equal(stageLayerCount(126, plan, 0), 7);
  assert.equal(stageLayerCount(126, plan, 8), 8);
  assert.equal(stageLayerCount(126, plan, 15), 7);
  assert.ok(Math.abs(time.bubbleFraction - 15 / (8 * 16)) < 0.01, String(time.bubbleFraction));
});

/**
 * Above the band: the model's step is the ideal one for this layout — GEMMs and FlashAttention at
 * the efficiencies measured on one H200 (docs/gemm-efficiency.md), 11.7 % bubble, TP communication
 * exposed, p2p and FSDP traffic at the NIC's line rate. It has no cost for what a 16,384-GPU job
 * adds: stragglers and synchronisation across 2,048 nodes, congestion on the RoCE fabric (Meta's
 * §3.3.3 tuned NCCLX for it), document-masked attention's imbalance (§3.3.2), checkpointing and
 * data loading. Meta's own numbers show the scale cost: 43 % at 8,192 GPUs, 41 % at 16,384.
 */
const mfuErr = time.mfu / 0.41 - 1;
test(`Llama 3 405B on 16,384 H100s: MFU ${(100 * time.mfu).toFixed(1)} % vs 41 % published (${mfuErr >= 0 ? '+' : '−'}${Math.abs(100 * mfuErr).toFixed(1)} %), within 35–47 %; ${(time.modelFlops / (time.stepUs / 1e6) / 16384 / 1e12).toFixed(0)} vs 400 TFLOP/s per GPU`, { todo: 'the ideal step of the layout, without the costs of running at 16K GPUs (see above)' }, () => {
  assert.ok(time.mfu >= 0.35 && time.mfu <= 0.47, String(time.mfu));
});

/**
 * Does not fit: with 16 micro-batches on 16 stages, every schedule the planner models keeps all
 * of a stage's micro-batches in flight at its peak (Megatron's interleaved warm-up on the second
 * stage is 2·14 + 7·16 + 1 = 141 chunk-micro-batches ≥ the 128 there are), i.e. 128 layer-micro-
 * batches of ~0.6 GB (tp 8, SP, FlashAttention, SwiGLU storing gate, up, SiLU and product) — 76 GiB
 * of activations beside 6 GiB of weights. Meta's modified schedule (a tunable number N of
 * contiguous micro-batches per chunk) and its proactive freeing of pipeline inputs/outputs are not
 * modelled; nor is Megatron-style fused SwiGLU storage (6·sbF/t instead of 8·sbF/t).
 */
test(`Llama 3 405B on 16,384 H100s fits in 80 GB: peak ${(memory.peak.total / GB).toFixed(1)} GB per GPU (stage ${memory.peak.stage}: activations ${(memory.peak.activations / GB).toFixed(1)} GB)`, { todo: 'the stash of 16 micro-batches on 16 stages is not what Meta\'s schedule keeps (see above)' }, () => {
  assert.ok(memory.peak.total <= 80 * GB, `${memory.peak.total / GB} GB`);
});
