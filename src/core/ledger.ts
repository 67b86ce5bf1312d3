import type { DType } from './dtype.js';
import type { SourceLocation } from './source.js';

import type { Algorithm, CollectiveOp } from './cost/collectiveTime.js';

/** Collective kinds (as in torch.distributed / nccl-tests) and algorithms live with the cost model. */
export type { Algorithm, CollectiveOp };

export type Phase = string; // 'forward' | 'backward' | 'optimizer' | user-named

/**
 * One entry per collective call (all members together) or per matched send/recv pair.
 * `elements`/`bytes` are nccl-tests' "size": the all-reduce / broadcast / reduce buffer, the
 * full all-gather output, the full reduce-scatter input, one rank's all-to-all send buffer,
 * the send/recv message.
 */
export interface LedgerEntry {
  readonly seq: number;
  readonly op: CollectiveOp;
  /** Reduction for all_reduce / reduce / reduce_scatter. */
  readonly reduceOp?: ReduceOp;
  /** Mesh axis of the group, or undefined for an explicit group. */
  readonly axis?: string;
  readonly group: string;
  readonly ranks: readonly number[];
  readonly phase: Phase;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly elements: number;
  readonly bytes: number;
  readonly algorithm: Algorithm;
  /** Bytes each member sends / receives, in the order of `ranks`. */
  readonly sentBytes: readonly number[];
  readonly recvBytes: readonly number[];
  /** Largest per-rank send (what the slowest rank moves). */
  readonly sentBytesPerRank: number;
  /** All ranks' sends added up: bytes on the wire. */
  readonly wireBytes: number;
  readonly steps: number;
  readonly link: 'nvlink' | 'nic';
  readonly startUs: number;
  readonly timeUs: number;
  readonly source?: SourceLocation;
  /** For send_recv: the tag. */
  readonly tag?: number;
  /** Identical groups across the world this entry stands for (symmetry folding; 1 otherwise). */
  readonly multiplicity: number;
  /** The module path the call was made in (e.g. "h.0.mlp.c_proj"). */
  readonly module?: string;
  /** A label the caller gave (e.g. the Megatron mapping that issued it). */
  readonly label?: string;
}

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';
