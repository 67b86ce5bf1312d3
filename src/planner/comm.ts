/**
 * Communication of a plan: which collectives run, on which ranks, how many bytes — timed with the
 * cost model's alpha-beta `collectiveTimeUs` (ring) and `p2pTimeUs`.
 *
 * Ranks follow AutoDist's mesh (Megatron's order: pp slowest, then dp, then tp fastest), so a tp
 * group is t consecutive ranks (NVLink when t ≤ GPUs per node), a dp group strides by t, and
 * neighbouring pipeline stages are dp·t ranks apart.
 *
 * Tensor parallel, per layer per micro-batch, b·s·h elements each (Narayanan et al. 2021 §3.2;
 * Korthikanti et al. 2022 §4.2.2):
 *   without SP: 2 all-reduces forward (after attention and MLP, Megatron's g), 2 backward (f);
 *     a ring all-reduce sends 2(t − 1)/t of the buffer per rank, so each rank sends
 *     4 · 2(t − 1)/t · bsh = 8bsh(t − 1)/t elements per layer per micro-batch;
 *   with SP: each all-reduce becomes a reduce-scatter + an all-gather of the same total volume:
 *     forward 2 all-gathers + 2 reduce-scatters, backward the same.
 *   Full recompute repeats the forward's collectives.
 *   The vocab-parallel embedding all-reduces (SP: reduce-scatters) its output on the first stage;
 *   the LM head's input gradient is all-reduced (SP: reduce-scattered) on the last.
 * Pipeline: one activation forward and one gradient backward per micro-batch per chunk boundary,
 *   b·s·h elements (÷t with SP, where each rank sends its sequence shard).
 * Data parallel, once per step over the stage's Ψ parameters:
 *   ZeRO 0: all-reduce of the gradients (gΨ bytes);  ZeRO 1/2: reduce-scatter of the gradients and
 *   all-gather of the updated bf16 weights (2Ψ) — the same volume;  ZeRO 3: per micro-batch, an
 *   all-gather of the weights before the forward and again before the backward, and a
 *   reduce-scatter of the gradients.
 */
import { collectiveTimeUs, linkBetween, p2pTimeUs, type CollectiveOp, type HardwarePreset, type LinkClass } from '../core/cost/index.js';
import type { ParallelPlan } from './plan.js';

/** Ranks of the tp group of rank 0: 0 … t−1. */
export function tpRanks(plan: Pick<ParallelPlan, 'tp'>): number[] {
  return Array.from({ length: plan.tp }, (_, i) => i);
}

/** Ranks of the dp group of rank 0: 0, t, 2t, … */
export function dpRanks(plan: Pick<ParallelPlan, 'tp' | 'dp'>): number[] {
  return Array.from({ length: plan.dp }, (_, i) => i * plan.tp);
}

/** The link between pipeline stage 0 and stage 1 (ranks 0 and dp·t). */
export function ppLink(plan: Pick<ParallelPlan, 'tp' | 'dp' | 'pp'>, gpusPerNode: number): LinkClass {
  return plan.pp > 1 ? linkBetween(0, plan.dp * plan.tp, gpusPerNode) : 'nvlink';
}

export function ringTimeUs(op: CollectiveOp, ranks: readonly number[], bytes: number, hw: HardwarePreset, gpusPerNode: number): number {
  return collectiveTimeUs({ op, algorithm: 'ring', ranks, bytes, hw, gpusPerNode }).timeUs;
}

/** Tensor-parallel collectives of one layer for one micro-batch (forward, backward), with their nccl-tests sizes. */
export function tpLayerCollectives(plan: Pick<ParallelPlan, 'sequenceParallel' | 'recompute'>, bshBytes: number): { forward: { op: CollectiveOp; bytes: number }[]; backward: { op: CollectiveOp; bytes: number }[] } {
  const fwd: { op: CollectiveOp; bytes: number }[] = plan.sequenceParallel
    ? [{ op: 'all_gather', bytes: bshBytes }, { op: 'reduce_scatter', bytes: bshBytes }, { op: 'all_gather', bytes: bshBytes }, { op: 'reduce_scatter', bytes: bshBytes }]
    : [{ op: 'all_reduce', bytes: bshBytes }, { op: 'all_reduce', bytes: bshBytes }];
  const bwd = fwd.map((c) => ({ ...c }));
  if (plan.recompute === 'full') bwd.push(...fwd.map((c) => ({ ...c })));
  return { forward: fwd, backward: bwd };
}

/**
 * Bytes one rank sends for the tensor-parallel collectives of one layer and one micro-batch
 * without SP (ring all-reduce): 4 · 2(t − 1)/t · bsh elements = 8bsh(t − 1)/t elements (Narayanan).
 */
export function tpSentElementsPerLayer(b: number, s: number, h: number, t: number): number {
  return (8 * b * s * h * (t - 1)) / t;
}

/** Time of one message between neighbouring stages, µs. */
export function p2pUs(bytes: number, hw: HardwarePreset, link: LinkClass): number {
  return p2pTimeUs(bytes, hw, link);
}
