import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from './tensor.js';

/** One recorded op: re-running `compute` re-reads its inputs' current `.data`. */
export interface ReplayEntry {
  readonly out: Tensor;
  readonly compute: () => tf.Tensor;
}

/**
 * Gradients of `loss` with respect to `leaves` by TensorFlow.js's own autodiff, independent of
 * AutoDist's backward rules: the recorded forward ops are re-run inside `tf.grads` with the
 * leaves' values as the differentiated arguments. Used by the verifier for the unsharded
 * reference (one rank, no collectives). Returns one gradient per leaf (the caller disposes them).
 */
export function replayGradients(entries: readonly ReplayEntry[], leaves: readonly Tensor[], loss: Tensor): tf.Tensor[] {
  const savedLeaves = leaves.map((l) => l.requireData());
  const savedOuts = entries.map((e) => e.out.data);
  const f = (...xs: tf.Tensor[]): tf.Scalar => {
    leaves.forEach((l, i) => (l.data = xs[i]));
    for (const e of entries) e.out.data = e.compute();
    return loss.requireData() as tf.Scalar;
  };
  try {
    return tf.grads(f)(savedLeaves as tf.Tensor[]);
  } finally {
    leaves.forEach((l, i) => (l.data = savedLeaves[i]));
    entries.forEach((e, i) => (e.out.data = savedOuts[i]));
  }
}
