/**
 * Estimated time of a collective in the alpha-beta model.
 *
 * Notation: n = group size, S = bytes (the nccl-tests "size", see {@link CollectiveCostInput.bytes}),
 * α, β = latency (µs) and bandwidth (bytes/s) of the slowest link the group uses: the NIC
 * if the ranks span nodes, else NVLink. L = ⌈log2 n⌉. Every formula has the form
 *   time = steps·α + c·S/β
 * (Thakur, Rabenseifner & Gropp 2005, "Optimization of Collective Communication
 * Operations in MPICH"; NCCL docs and nccl-tests doc/PERFORMANCE.md):
 *
 * | op             | ring                          | tree (NCCL double binary tree) | direct                  |
 * |----------------|-------------------------------|--------------------------------|-------------------------|
 * | all_reduce     | 2(n−1)·α + 2(n−1)/n·S/β       | 2L·α + 2·S/β                   | 2·α + 2(n−1)/n·S/β      |
 * | all_gather     | (n−1)·α + (n−1)/n·S/β         | = ring (NCCL has no tree here)  | α + (n−1)/n·S/β         |
 * | reduce_scatter | (n−1)·α + (n−1)/n·S/β         | = ring (NCCL has no tree here)  | α + (n−1)/n·S/β         |
 * | broadcast      | (n−1)·α + S/β (chain)         | L·α + S/β                      | α + (n−1)·S/β           |
 * | reduce         | (n−1)·α + S/β (chain)         | L·α + S/β                      | α + (n−1)·S/β           |
 * | all_to_all     | always direct pairwise: (n−1)·α + (n−1)/n·S/β                                     |
 * | send_recv      | always one message: α + S/β                                                      |
 * | barrier        | all_reduce of 0 bytes with the chosen algorithm: latency term only               |
 *
 * Notes on the terms:
 * - ring all_reduce = reduce_scatter + all_gather, each n−1 steps moving S/n per step.
 * - tree all_reduce: reduce up then broadcast down a pipelined double binary tree. With
 *   two trees each carrying S/2 and every rank interior in at most one of them, a rank
 *   sends and receives ≈ S per phase, so the bandwidth term is 2·S/β (slightly worse than
 *   the ring's 2(n−1)/n·S/β), and the latency term is 2L·α (up then down, pipeline fill).
 * - broadcast/reduce ring ("chain"): the buffer is cut into chunks pipelined along the
 *   chain; for many chunks every link carries S once, so the bandwidth term is S/β and the
 *   latency term is the n−1 hops of pipeline fill. Tree: same bandwidth term, L hops.
 * - direct: every rank sends its share straight to every other rank, n−1 messages in
 *   parallel in one step, its link carrying (n−1)/n·S (all_gather, reduce_scatter);
 *   all_reduce is the two phases reduce_scatter then all_gather (2 steps). For
 *   broadcast/reduce the root's link carries all n−1 copies: (n−1)·S/β in one step.
 * - all_to_all: pairwise exchange in n−1 rounds, each moving S/n of a rank's send buffer.
 * - n = 1 → time 0, steps 0.
 *
 * Bus bandwidth (nccl-tests doc/PERFORMANCE.md): algbw = S / time,
 * busbw = algbw · factor, factor = 2(n−1)/n for all_reduce; (n−1)/n for all_gather,
 * reduce_scatter, all_to_all; 1 for broadcast, reduce, send_recv. For a latency-free
 * ring all_reduce busbw equals β, which is the point of the definition.
 */
import type { HardwarePreset } from './hardware.js';
import { type LinkClass, groupLinkClass, linkParams } from './links.js';

export type CollectiveOp =
  | 'all_reduce'
  | 'all_gather'
  | 'reduce_scatter'
  | 'broadcast'
  | 'reduce'
  | 'all_to_all'
  | 'send_recv'
  | 'barrier';

export type Algorithm = 'ring' | 'tree' | 'direct';

export interface CollectiveCostInput {
  op: CollectiveOp;
  algorithm: Algorithm;
  /** Global ranks of the group (distinct, integers >= 0). */
  ranks: readonly number[];
  /**
   * nccl-tests "size": all_reduce/broadcast/reduce: the buffer; all_gather: the full
   * OUTPUT buffer; reduce_scatter: the full INPUT buffer; all_to_all: one rank's send
   * buffer; send_recv: the message; barrier: ignored (0).
   */
  bytes: number;
  hw: HardwarePreset;
  gpusPerNode: number;
}

export interface CollectiveCost {
  /** Estimated wall time, µs. */
  timeUs: number;
  /** Number of sequential latency steps (the multiplier of α). */
  steps: number;
  /** Slowest link class the group uses. */
  link: LinkClass;
  /** Achieved bus bandwidth per nccl-tests, bytes/s (0 when time or bytes is 0). */
  busBandwidth: number;
  /**
   * The algorithm the formula used: equals the input except where an op has only one
   * model (tree all_gather/reduce_scatter → 'ring'; all_to_all, send_recv → 'direct').
   */
  algorithm: Algorithm;
}

/** Steps and bandwidth multiplier c of time = steps·α + c·S/β. */
interface Terms {
  readonly steps: number;
  readonly c: number;
  readonly algorithm: Algorithm;
}

/** ⌈log2 n⌉ for n >= 1. */
function ceilLog2(n: number): number {
  return Math.ceil(Math.log2(n) - 1e-12);
}

function terms(op: CollectiveOp, algorithm: Algorithm, n: number): Terms {
  const L = ceilLog2(n);
  const share = (n - 1) / n;
  switch (op) {
    case 'barrier':
    case 'all_reduce':
      if (algorithm === 'ring') return { steps: 2 * (n - 1), c: 2 * share, algorithm };
      if (algorithm === 'tree') return { steps: 2 * L, c: 2, algorithm };
      return { steps: 2, c: 2 * share, algorithm };
    case 'all_gather':
    case 'reduce_scatter':
      if (algorithm === 'direct') return { steps: 1, c: share, algorithm };
      return { steps: n - 1, c: share, algorithm: 'ring' };
    case 'broadcast':
    case 'reduce':
      if (algorithm === 'ring') return { steps: n - 1, c: 1, algorithm };
      if (algorithm === 'tree') return { steps: L, c: 1, algorithm };
      return { steps: 1, c: n - 1, algorithm };
    case 'all_to_all':
      return { steps: n - 1, c: share, algorithm: 'direct' };
    case 'send_recv':
      return { steps: 1, c: 1, algorithm: 'direct' };
  }
}

/** nccl-tests busbw factor for `op` on a group of `n` ranks (barrier: 0). */
export function busBandwidthFactor(op: CollectiveOp, n: number): number {
  switch (op) {
    case 'all_reduce':
      return (2 * (n - 1)) / n;
    case 'all_gather':
    case 'reduce_scatter':
    case 'all_to_all':
      return (n - 1) / n;
    case 'broadcast':
    case 'reduce':
    case 'send_recv':
      return 1;
    case 'barrier':
      return 0;
  }
}

function validate(input: CollectiveCostInput): void {
  const { ranks, bytes } = input;
  if (ranks.length === 0) throw new RangeError(`${input.op}: the group has no ranks.`);
  if (new Set(ranks).size !== ranks.length) {
    throw new RangeError(`${input.op}: the group [${ranks.join(', ')}] repeats a rank.`);
  }
  if (!(Number.isFinite(bytes) && bytes >= 0)) {
    throw new RangeError(`${input.op}: bytes must be a finite number >= 0, got ${bytes}.`);
  }
}

/**
 * The same time for a group given by its size and the slowest link it uses, µs — for callers that
 * know the group's shape without listing its ranks (the planner's strided groups of up to 10⁶ ranks).
 */
export function collectiveTimeOnLinkUs(op: CollectiveOp, algorithm: Algorithm, n: number, bytes: number, hw: HardwarePreset, link: LinkClass): number {
  if (n <= 1) return 0;
  const t = terms(op, algorithm, n);
  const S = op === 'barrier' ? 0 : bytes;
  const { alphaUs, bandwidth } = linkParams(hw, link);
  return t.steps * alphaUs + ((t.c * S) / bandwidth) * 1e6;
}

/** Estimated time of one collective; formulas in the file comment. */
export function collectiveTimeUs(input: CollectiveCostInput): CollectiveCost {
  validate(input);
  const n = input.ranks.length;
  const link = groupLinkClass(input.ranks, input.gpusPerNode); // also checks ranks, gpusPerNode
  const t = terms(input.op, input.algorithm, n);
  if (n === 1) return { timeUs: 0, steps: 0, link, busBandwidth: 0, algorithm: t.algorithm };

  const S = input.op === 'barrier' ? 0 : input.bytes;
  const { alphaUs, bandwidth } = linkParams(input.hw, link);
  const timeUs = t.steps * alphaUs + ((t.c * S) / bandwidth) * 1e6;
  const busBandwidth = timeUs > 0 && S > 0 ? (S / (timeUs * 1e-6)) * busBandwidthFactor(input.op, n) : 0;
  return { timeUs, steps: t.steps, link, busBandwidth, algorithm: t.algorithm };
}
