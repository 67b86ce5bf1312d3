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
 *     forward 2 all-gathers + 2 reduce-scatters, backward the same, plus the all-gather of the
 *     QKV / MLP inputs again (Megatron keeps only the 1/t shard for the weight gradient).
 *   Full recompute repeats the forward's collectives. What overlaps what: tpLayerCollectives.
 *   The vocab-parallel embedding all-reduces (SP: reduce-scatters) its output on the first stage;
 *   the LM head's input gradient is all-reduced (SP: reduce-scattered) on the last.
 * Pipeline: one activation forward and one gradient backward per micro-batch per chunk boundary,
 *   b·s·h elements (÷t with SP, where each rank sends its sequence shard).
 * Context parallel (ring attention, Liu et al. 2023; Megatron's CP): per layer and micro-batch,
 *   cp − 1 ring steps each passing a K and V chunk of b·(s/cp)·hkv/t elements forward, and K, V
 *   and their gradients backward (3 × the forward volume in all), overlapped with the attention
 *   core's blocks.
 * Data parallel, once per step over the stage's Ψ parameters, over the dp × cp ranks:
 *   ZeRO 0: all-reduce of the gradients (gΨ bytes);  ZeRO 1/2: reduce-scatter of the gradients and
 *   all-gather of the updated bf16 weights (2Ψ) — the same volume;  ZeRO 3: per micro-batch, an
 *   all-gather of the weights before the forward and again before the backward, and a
 *   reduce-scatter of the gradients.
 */
import { collectiveTimeOnLinkUs, collectiveTimeUs, linkBetween, p2pTimeUs, type CollectiveOp, type HardwarePreset, type LinkClass } from '../core/cost/index.js';
import { cpOf } from './layout.js';
import type { ParallelPlan } from './plan.js';

/** Ranks of the tp group of rank 0: 0 … t−1. */
export function tpRanks(plan: Pick<ParallelPlan, 'tp'>): number[] {
  return Array.from({ length: plan.tp }, (_, i) => i);
}

/**
 * Ranks of the data-parallel gradient group of rank 0: dp × cp ranks striding by t (Megatron
 * reduces gradients over data and context parallel ranks together; order tp, cp, dp, pp).
 */
export function dpRanks(plan: Pick<ParallelPlan, 'tp' | 'dp' | 'cp'>): number[] {
  return Array.from({ length: plan.dp * cpOf(plan) }, (_, i) => i * plan.tp);
}

/** Ranks of the context-parallel group of rank 0: 0, t, 2t, … (cp of them). */
export function cpRanks(plan: Pick<ParallelPlan, 'tp' | 'cp'>): number[] {
  return Array.from({ length: cpOf(plan) }, (_, i) => i * plan.tp);
}

/** The link between pipeline stage 0 and stage 1 (ranks 0 and dp·cp·t). */
export function ppLink(plan: Pick<ParallelPlan, 'tp' | 'dp' | 'pp' | 'cp'>, gpusPerNode: number): LinkClass {
  return plan.pp > 1 ? linkBetween(0, plan.dp * cpOf(plan) * plan.tp, gpusPerNode) : 'nvlink';
}

/** The link of the context-parallel ring (neighbours t ranks apart; NIC when the ring leaves the node). */
export function cpLink(plan: Pick<ParallelPlan, 'tp' | 'cp'>, gpusPerNode: number): LinkClass {
  return cpOf(plan) > 1 ? (plan.tp * cpOf(plan) <= gpusPerNode ? 'nvlink' : 'nic') : 'nvlink';
}

export function ringTimeUs(op: CollectiveOp, ranks: readonly number[], bytes: number, hw: HardwarePreset, gpusPerNode: number): number {
  return collectiveTimeUs({ op, algorithm: 'ring', ranks, bytes, hw, gpusPerNode }).timeUs;
}

/**
 * Ring time on the group 0, stride, 2·stride, … of n ranks (a dp or cp group of rank 0) without
 * listing it: NIC when it leaves the first node, i.e. (n − 1)·stride ≥ GPUs per node.
 */
export function stridedRingTimeUs(op: CollectiveOp, n: number, stride: number, bytes: number, hw: HardwarePreset, gpusPerNode: number): number {
  const link: LinkClass = (n - 1) * stride >= gpusPerNode ? 'nic' : 'nvlink';
  return collectiveTimeOnLinkUs(op, 'ring', n, bytes, hw, link);
}

/** A tensor-parallel collective of one layer, and the GEMM Megatron runs while it is in flight (if any). */
export interface TpCollective {
  readonly op: CollectiveOp;
  readonly bytes: number;
  /** The GEMM it overlaps with, by the option that enables the overlap: 'backward' (Megatron's async dX reduction, on by default) or 'all' (Transformer Engine's userbuffers). */
  readonly overlap?: { readonly with: GemmRef; readonly when: 'backward' | 'all' };
}

/** Which GEMM of the layer: linear × pass (./gemms.ts's LinearUs). */
export type GemmRef = `${'qkv' | 'out' | 'up' | 'down'}.${'fwd' | 'dgrad' | 'wgrad'}`;

/**
 * Tensor-parallel collectives of one layer for one micro-batch, with their nccl-tests sizes and
 * what Megatron overlaps them with (Megatron-LM `LinearWithGradAccumulationAndAsyncCommunication`):
 *   without SP  forward: all-reduce after attention and after the MLP (g);
 *               backward: all-reduce of the QKV and MLP-up inputs' gradient (f), each launched
 *               asynchronously and overlapped with that linear's weight-gradient GEMM;
 *   with SP     forward: all-gather before QKV and MLP-up, reduce-scatter after out and down;
 *               backward: all-gather of the output gradient of out and down (ḡ), the all-gather
 *               of the QKV / MLP-up input again (Megatron keeps the 1/t shard; overlapped with the
 *               dX GEMM) and the reduce-scatter of their input gradient (overlapped with dW).
 * Transformer Engine's userbuffer overlap ('all', needs SP) also hides the forward ones and the
 * ḡ all-gathers behind the GEMM they feed or follow. Full recompute repeats the forward's.
 */
export function tpLayerCollectives(plan: Pick<ParallelPlan, 'sequenceParallel' | 'recompute'>, bshBytes: number): { forward: TpCollective[]; backward: TpCollective[] } {
  const at = (op: CollectiveOp, ref?: GemmRef, when: 'backward' | 'all' = 'all'): TpCollective => ({ op, bytes: bshBytes, ...(ref ? { overlap: { with: ref, when } } : {}) });
  const fwd: TpCollective[] = plan.sequenceParallel
    ? [at('all_gather', 'qkv.fwd'), at('reduce_scatter', 'out.fwd'), at('all_gather', 'up.fwd'), at('reduce_scatter', 'down.fwd')]
    : [at('all_reduce'), at('all_reduce')];
  const bwd: TpCollective[] = plan.sequenceParallel
    ? [
        at('all_gather', 'down.dgrad'),
        at('all_gather', 'up.dgrad', 'backward'),
        at('reduce_scatter', 'up.wgrad', 'backward'),
        at('all_gather', 'out.dgrad'),
        at('all_gather', 'qkv.dgrad', 'backward'),
        at('reduce_scatter', 'qkv.wgrad', 'backward'),
      ]
    : [at('all_reduce', 'up.wgrad', 'backward'), at('all_reduce', 'qkv.wgrad', 'backward')];
  if (plan.recompute === 'full') bwd.push(...fwd.map((c) => ({ ...c })));
  return { forward: fwd, backward: bwd };
}

/** How much of the tensor-parallel communication is hidden: none, Megatron's default (the backward's dX reductions), or all (TE userbuffers, with SP). */
export type TpOverlap = 'none' | 'backward' | 'all';

/**
 * Exposed time of a layer's tensor-parallel collectives, µs: a collective that overlaps a GEMM
 * costs max(0, t_collective − t_GEMM); the others their whole time.
 */
export function tpExposedUs(cs: readonly TpCollective[], overlap: TpOverlap, timeOf: (op: CollectiveOp) => number, gemmUs: (ref: GemmRef) => number): number {
  let total = 0;
  for (const c of cs) {
    const t = timeOf(c.op);
    const hidden = c.overlap && overlap !== 'none' && (overlap === 'all' || c.overlap.when === 'backward');
    total += hidden ? Math.max(0, t - gemmUs(c.overlap!.with)) : t;
  }
  return total;
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
