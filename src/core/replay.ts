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

/** The part of TensorFlow.js's engine that records a tape (tfjs-core 4.22, pinned). */
interface TapeEngine {
  startTape(): void;
  endTape(): void;
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] };
  state: { gradientDepth: number; activeTape: { saved: tf.Tensor[] }[] | null };
}

function tapeEngine(): TapeEngine | null {
  const e = tf.engine() as unknown as Partial<TapeEngine>;
  return typeof e.startTape === 'function' && typeof e.endTape === 'function' && typeof e.gradients === 'function' && e.state ? (e as TapeEngine) : null;
}

/**
 * The same gradients as `replayGradients`, without running the forward twice: the forward runs
 * once with TensorFlow.js's own tape on (tfjs records every kernel it runs while the tape is on,
 * across the forward's awaits — nothing else may run tfjs ops meanwhile: the reference is alone
 * in its simulation), then tfjs's backward runs over that tape to the leaves and the probes
 * (intermediate tensors: each gets the sum of its consumers' gradients, dLoss/dProbe). A leaf or
 * probe the loss does not depend on gets zeros. Returns null when this tfjs has no tape to use
 * (the caller then replays); the forward has not run in that case.
 */
export async function tapeGradients(
  forward: () => Promise<Tensor>,
  wrt: () => { leaves: readonly Tensor[]; probes: readonly Tensor[] },
): Promise<{ loss: Tensor; leaves: tf.Tensor[]; probes: Map<number, tf.Tensor> } | null> {
  const engine = tapeEngine();
  if (!engine || engine.state.gradientDepth !== 0) return null;
  engine.startTape();
  try {
    const loss = await forward();
    const { leaves, probes } = wrt();
    const leafData = leaves.map((l) => l.requireData());
    const taken = new Set<tf.Tensor>(leafData);
    const wanted: Tensor[] = [];
    for (const p of probes) {
      const d = p.data;
      if (!d || taken.has(d)) continue; // a leaf's gradient is already asked for
      taken.add(d);
      wanted.push(p);
    }
    const xs = [...leafData, ...wanted.map((p) => p.data!)];
    const { grads } = engine.gradients(() => loss.requireData(), xs, undefined, true);
    const full = grads.map((g, i) => g ?? tf.zerosLike(xs[i]));
    return { loss, leaves: full.slice(0, leaves.length), probes: new Map(wanted.map((p, i) => [p.id, full[leaves.length + i]])) };
  } finally {
    engine.endTape();
    if (engine.state.gradientDepth === 0 && engine.state.activeTape) {
      for (const node of engine.state.activeTape) for (const t of node.saved) t.dispose();
      engine.state.activeTape = null;
    }
  }
}
