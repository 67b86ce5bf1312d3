import * as tf from '@tensorflow/tfjs-core';
import type { ReduceOp } from '../ledger.js';
import type { CallSig } from './signature.js';

/**
 * The numeric result of a collective for every member, from every member's input (group order).
 * Members that receive the same values get the same TensorFlow.js tensor object: tensors are
 * immutable, and every rank frees what it holds only when the run ends (disposing twice is a
 * no-op). No clone: on the WASM backend a clone copies the buffer.
 */
export function combine(sig: CallSig, inputs: readonly tf.Tensor[], rootIdx: number): tf.Tensor[] {
  const n = inputs.length;
  switch (sig.op) {
    case 'all_reduce': {
      const r = reduceAll(inputs, sig.reduceOp ?? 'sum');
      return inputs.map(() => r);
    }
    case 'all_gather': {
      const r = n === 1 ? inputs[0] : tf.concat([...inputs], sig.dim!);
      return inputs.map(() => r);
    }
    case 'reduce_scatter': {
      return tf.tidy(() => {
        const r = reduceAll(inputs, sig.reduceOp ?? 'sum');
        return n === 1 ? [r] : tf.split(r, n, sig.dim!);
      });
    }
    case 'broadcast':
      return inputs.map(() => inputs[rootIdx]);
    case 'reduce': {
      const r = reduceAll(inputs, sig.reduceOp ?? 'sum');
      return inputs.map((x, i) => (i === rootIdx ? r : x));
    }
    case 'all_to_all': {
      return tf.tidy(() => {
        const parts = inputs.map((x) => (n === 1 ? [x] : tf.split(x, n, sig.splitDim!)));
        return inputs.map((_, j) => (n === 1 ? parts[0][0] : tf.concat(parts.map((p) => p[j]), sig.concatDim!)));
      });
    }
    case 'barrier':
    case 'send_recv':
      return [];
  }
}

function reduceAll(xs: readonly tf.Tensor[], op: ReduceOp): tf.Tensor {
  return tf.tidy(() => {
    if (xs.length === 1) return xs[0];
    switch (op) {
      case 'sum':
        return tf.addN([...xs]);
      case 'avg':
        return tf.div(tf.addN([...xs]), xs.length);
      case 'max':
        return xs.slice(1).reduce((a, b) => tf.maximum(a, b), xs[0]);
      case 'min':
        return xs.slice(1).reduce((a, b) => tf.minimum(a, b), xs[0]);
    }
  });
}

/** Output shape on each member. */
export function outputShape(sig: CallSig, n: number): readonly number[] {
  if (sig.op !== 'all_gather' && sig.op !== 'reduce_scatter' && sig.op !== 'all_to_all') return sig.shape;
  const s = [...sig.shape];
  switch (sig.op) {
    case 'all_gather':
      s[sig.dim!] *= n;
      return s;
    case 'reduce_scatter':
      s[sig.dim!] /= n;
      return s;
    case 'all_to_all':
      s[sig.splitDim!] /= n;
      s[sig.concatDim!] *= n;
      return s;
    default:
      return s;
  }
}

/** nccl-tests "size" in elements (see LedgerEntry). */
export function ncclElements(sig: CallSig, n: number): number {
  const e = sig.shape.reduce((p, d) => p * d, 1);
  if (sig.op === 'barrier') return 0;
  return sig.op === 'all_gather' ? e * n : e;
}
