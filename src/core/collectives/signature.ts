import type { DType } from '../dtype.js';
import type { CollectiveOp, ReduceOp } from '../ledger.js';

/** What one rank passed to a collective: every member's must agree. */
export interface CallSig {
  readonly op: CollectiveOp;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly reduceOp?: ReduceOp;
  /** Tensor dim for all_gather / reduce_scatter. */
  readonly dim?: number;
  /** Global rank of the root for broadcast / reduce. */
  readonly root?: number;
  readonly splitDim?: number;
  readonly concatDim?: number;
}

export function describeSig(s: CallSig): string {
  const parts: string[] = [s.op];
  if (s.op !== 'barrier') parts.push(`[${s.shape.join(', ')}] ${s.dtype}`);
  if (s.reduceOp) parts.push(`op=${s.reduceOp}`);
  if (s.dim !== undefined) parts.push(`dim=${s.dim}`);
  if (s.root !== undefined) parts.push(`root=${s.root}`);
  if (s.splitDim !== undefined) parts.push(`split_dim=${s.splitDim}`);
  if (s.concatDim !== undefined) parts.push(`concat_dim=${s.concatDim}`);
  return parts.join(' ');
}

/** The first way in which two members' calls disagree, or null. */
export function sigMismatch(a: CallSig, b: CallSig): string | null {
  if (a.op !== b.op) return 'different collectives';
  if (a.op === 'barrier') return null;
  if (a.dtype !== b.dtype) return 'different dtypes';
  if (!sameShape(a.shape, b.shape)) return 'different shapes';
  if (a.reduceOp !== b.reduceOp) return 'different reduce ops';
  if (a.dim !== b.dim) return 'different dims';
  if (a.root !== b.root) return 'different roots';
  if (a.splitDim !== b.splitDim || a.concatDim !== b.concatDim) return 'different split/concat dims';
  return null;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
