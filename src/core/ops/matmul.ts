import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../tensor.js';
import { fmt, shapeError } from './check.js';
import { sumToShape } from './reduce.js';
import { reshape, transposeLast } from './shape.js';

/**
 * Matrix product over the last two dims, batch dims broadcast:
 *   a [..., m, k] · b [..., k, n] → [..., m, n];  FLOPs 2·batch·m·k·n.
 * A 2-D `b` (a weight) folds a's leading dims into m, as a linear layer does.
 * Backward: da = dy · bᵀ, db = aᵀ · dy (summed over broadcast batch dims).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2) throw shapeError(a, `matmul needs ≥ 2 dims on both sides, got ${fmt(a.shape)} · ${fmt(b.shape)}`);
  const k = a.shape[a.ndim - 1];
  if (b.shape[b.ndim - 2] !== k) {
    throw shapeError(
      a,
      `matmul: ${fmt(a.shape)} · ${fmt(b.shape)} — inner dims differ (${k} vs ${b.shape[b.ndim - 2]})`,
      `the last dim of the left operand must equal the second-to-last of the right one; a weight split along the wrong dim is the usual cause`,
    );
  }
  const m = a.shape[a.ndim - 2];
  // da = dy·bᵀ reads b, db = aᵀ·dy reads a: keep what the needed gradients read
  const saves = a.requiresGrad ? (b.requiresGrad ? [a, b] : [b]) : [a];
  const n = b.shape[b.ndim - 1];
  if (b.ndim === 2) {
    const lead = a.shape.slice(0, -1);
    const rows = lead.reduce((p, d) => p * d, 1);
    return a.ctx.apply({
      name: 'matmul',
      inputs: [a, b],
      shape: [...lead, n],
      dtype: a.dtype,
      flops: 2 * rows * k * n,
      key: '',
      saves,
      compute: () => tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(a.data!, [rows, k]), b.data!), [...lead, n])),
      backward: (dy) => [
        a.requiresGrad ? matmul(dy, transposeLast(b)) : null, // [..., k]
        b.requiresGrad ? matmul(transposeLast(reshape(a, [rows, k])), reshape(dy, [rows, n])) : null, // [k, n]
      ],
    });
  }
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < nb; i++) {
    const x = ba[ba.length - nb + i] ?? 1;
    const y = bb[bb.length - nb + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw shapeError(a, `matmul: batch dims of ${fmt(a.shape)} and ${fmt(b.shape)} do not broadcast`);
    batch.push(Math.max(x, y));
  }
  const nbatch = batch.reduce((p, d) => p * d, 1);
  return a.ctx.apply({
    name: 'matmul',
    inputs: [a, b],
    shape: [...batch, m, n],
    dtype: a.dtype,
    flops: 2 * nbatch * m * k * n,
    key: '',
    saves,
    compute: () => tf.matMul(a.data!, b.data!),
    backward: (dy) => [
      a.requiresGrad ? sumToShape(matmul(dy, transposeLast(b)), a.shape) : null,
      b.requiresGrad ? sumToShape(matmul(transposeLast(a), dy), b.shape) : null,
    ],
  });
}
