import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from './tensor.js';

/** One recorded op: re-running `compute` re-reads its inputs' current `.data`. */
export interface ReplayEntry {
  readonly out: Tensor;
  readonly compute: () => tf.Tensor;
}

/**
 * Gradients of `loss` with respect to `leaves` and to intermediate `probes`, by TensorFlow.js's
 * own autodiff, independent of AutoDist's backward rules: the recorded forward ops are re-run
 * inside `tf.grads` with the leaves' values as differentiated arguments, and each probe gets a
 * zero addend p + z whose gradient is the probe's. One backward pass gives everything. Used by
 * the verifier for the unsharded reference (one rank, no collectives). The caller disposes the
 * returned tensors: leaves' gradients first, then the probes', in order.
 */
export function replayGradients(entries: readonly ReplayEntry[], leaves: readonly Tensor[], loss: Tensor, probes: readonly Tensor[] = []): { leaves: tf.Tensor[]; probes: Map<number, tf.Tensor> } {
  const savedLeaves = leaves.map((l) => l.requireData());
  const savedOuts = entries.map((e) => e.out.data);
  const produced = new Set(entries.map((e) => e.out.id));
  const wanted: Tensor[] = [];
  const probeIndex = new Map<number, number>();
  for (const p of probes) {
    if (!produced.has(p.id) || probeIndex.has(p.id)) continue; // leaves and constants have no addend
    probeIndex.set(p.id, wanted.length);
    wanted.push(p);
  }
  const zeros = wanted.map((p) => tf.zerosLike(p.requireData()));
  const f = (...xs: tf.Tensor[]): tf.Scalar => {
    leaves.forEach((l, i) => (l.data = xs[i]));
    for (const e of entries) {
      const v = e.compute();
      const k = probeIndex.get(e.out.id);
      e.out.data = k === undefined ? v : tf.add(v, xs[leaves.length + k]);
    }
    return loss.requireData() as tf.Scalar;
  };
  try {
    const g = tf.grads(f)([...savedLeaves, ...zeros] as tf.Tensor[]);
    return { leaves: g.slice(0, leaves.length), probes: new Map(wanted.map((p, i) => [p.id, g[leaves.length + i]])) };
  } finally {
    leaves.forEach((l, i) => (l.data = savedLeaves[i]));
    entries.forEach((e, i) => (e.out.data = savedOuts[i]));
    for (const z of zeros) z.dispose();
  }
}
