import * as tf from '@tensorflow/tfjs-core';

/**
 * Sums that feed the loss and the verifier, the same on every backend.
 *
 * TensorFlow.js's WASM Sum and Mean add each output's n terms one after another in float32, so
 * their error grows with n (up to n·2^-24 relative; 3–6e-4 measured for a 1M-element mean, where
 * torch's cascade sum is off by ~1e-7). The CPU backend accumulates in float64. Here each output's
 * terms are added in float64 (a JS number: 53-bit accumulator, so 2^20 float32 terms lose less
 * than 2^-32 relative) and the result is rounded once to float32: within one float32 rounding of
 * the exact sum of the float32 inputs, whatever the backend and n.
 *
 * Used where a reduction has at least PRECISE_MIN_SUMMANDS terms per output (below that the
 * kernels' own error, < 64·2^-24 ≈ 4e-6, is under every tolerance) and for every loss.
 */
export const PRECISE_MIN_SUMMANDS = 64;

/**
 * Σ over `ds` (sorted, distinct) of a float32 tensor, accumulated in float64, divided by `divisor`.
 * Differentiable for TensorFlow.js's own autodiff (the reference's gradients): d/dx = dy / divisor,
 * broadcast back over the reduced dims.
 */
export function preciseSumData(t: tf.Tensor, ds: readonly number[], keepDims: boolean, divisor = 1): tf.Tensor {
  if (t.dtype !== 'float32') return tf.tidy(() => (divisor === 1 ? tf.sum(t, [...ds], keepDims) : tf.div(tf.sum(t, [...ds], keepDims), divisor)));
  const keptShape = t.shape.map((d, i) => (ds.includes(i) ? 1 : d));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    return {
      value: float64Sum(x, ds, keepDims, divisor),
      gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.mul(tf.ones(x.shape), tf.div(tf.reshape(dy, keptShape), divisor))),
    };
  });
  return f(t) as tf.Tensor;
}

function float64Sum(t: tf.Tensor, ds: readonly number[], keepDims: boolean, divisor: number): tf.Tensor {
  const kept = t.shape.map((_, i) => i).filter((i) => !ds.includes(i));
  const outShape = keepDims ? t.shape.map((d, i) => (ds.includes(i) ? 1 : d)) : kept.map((i) => t.shape[i]);
  const perm = [...kept, ...ds];
  const inner = perm.every((p, i) => p === i); // reduced dims already innermost: no copy
  const moved = inner ? t : tf.transpose(t, perm);
  const vals = moved.dataSync() as Float32Array;
  if (!inner) moved.dispose();
  const n = ds.reduce((p, d) => p * t.shape[d], 1);
  const outs = kept.reduce((p, d) => p * t.shape[d], 1);
  const out = new Float32Array(outs);
  for (let o = 0, base = 0; o < outs; o++, base += n) {
    let s = 0;
    for (let k = 0; k < n; k++) s += vals[base + k];
    out[o] = s / divisor;
  }
  return tf.tensor(out, outShape, 'float32');
}

/** The mean of a float32 tensor over `ds`, precise as above. */
export function preciseMeanData(t: tf.Tensor, ds: readonly number[], keepDims: boolean): tf.Tensor {
  const n = ds.reduce((p, d) => p * t.shape[d], 1);
  return preciseSumData(t, ds, keepDims, n);
}

/** Whether a reduction of `t` over `ds` takes the precise path. */
export function wantsPrecise(t: tf.Tensor, ds: readonly number[]): boolean {
  return t.dtype === 'float32' && ds.reduce((p, d) => p * t.shape[d], 1) >= PRECISE_MIN_SUMMANDS;
}
