import * as tf from '@tensorflow/tfjs-core';

/** How far a sharded result is from the dense one. */
export interface ErrorStats {
  /** max |a − b| */
  readonly maxAbs: number;
  /** max |a − b| / max |b| (scale-free; 0 when both are 0) */
  readonly maxRel: number;
  /** Flat index of the largest difference. */
  readonly at: number;
}

export function errorStats(actual: tf.Tensor, expected: tf.Tensor): ErrorStats {
  const a = actual.dataSync() as Float32Array;
  const b = expected.dataSync() as Float32Array;
  let maxAbs = 0;
  let at = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxAbs)) {
      // larger, or NaN (which no comparison passes): NaN counts as an infinite error
      maxAbs = d === d ? d : Infinity;
      at = i;
    }
    const m = Math.abs(b[i]);
    if (m > scale) scale = m;
  }
  return { maxAbs, maxRel: scale > 0 ? maxAbs / scale : maxAbs > 0 ? Infinity : 0, at };
}

/** Default tolerances on the scale-free error, by declared dtype (numbers are computed in fp32). */
export interface Tolerances {
  readonly output: number;
  readonly grad: number;
}

export const DEFAULT_TOLERANCES: Readonly<Record<string, Tolerances>> = Object.freeze({
  float32: { output: 1e-4, grad: 1e-3 },
  bfloat16: { output: 1e-2, grad: 2e-2 },
  float16: { output: 2e-3, grad: 5e-3 },
});

export function tolerancesFor(dtype: string, override?: Partial<Tolerances>): Tolerances {
  const base = DEFAULT_TOLERANCES[dtype] ?? DEFAULT_TOLERANCES.float32;
  return { output: override?.output ?? base.output, grad: override?.grad ?? base.grad };
}

export function worst(a: ErrorStats, b: ErrorStats): ErrorStats {
  return b.maxRel > a.maxRel ? b : a;
}

export const ZERO_ERROR: ErrorStats = Object.freeze({ maxAbs: 0, maxRel: 0, at: 0 });
