import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../tensor.js';
import { fmt, normDim, shapeError } from './check.js';
import { reshape } from './shape.js';

function dimsOf(x: Tensor, dims?: number | readonly number[]): number[] {
  if (dims === undefined) return x.shape.map((_, i) => i);
  const ds = (typeof dims === 'number' ? [dims] : [...dims]).map((d) => normDim(x, d));
  return [...new Set(ds)].sort((a, b) => a - b);
}

function keptShape(x: Tensor, ds: number[]): number[] {
  return x.shape.map((d, i) => (ds.includes(i) ? 1 : d));
}

/** Sum over `dims` (all when omitted). Backward: broadcast dy back to x's shape. */
export function sum(x: Tensor, dims?: number | readonly number[], keepDims = false): Tensor {
  const ds = dimsOf(x, dims);
  const kept = keptShape(x, ds);
  const shape = keepDims ? kept : x.shape.filter((_, i) => !ds.includes(i));
  return x.ctx.apply({
    name: 'sum',
    inputs: [x],
    shape,
    dtype: x.dtype,
    flops: x.size,
    key: `${ds}|${keepDims}`,
    saves: 'none',
    compute: () => tf.sum(x.data!, ds, keepDims),
    backward: (dy) => [broadcastTo(keepDims ? dy : reshape(dy, kept), x.shape)],
  });
}

/** Mean over `dims` (all when omitted). */
export function mean(x: Tensor, dims?: number | readonly number[], keepDims = false): Tensor {
  const ds = dimsOf(x, dims);
  const count = ds.reduce((p, d) => p * x.shape[d], 1);
  const kept = keptShape(x, ds);
  const shape = keepDims ? kept : x.shape.filter((_, i) => !ds.includes(i));
  return x.ctx.apply({
    name: 'mean',
    inputs: [x],
    shape,
    dtype: x.dtype,
    flops: x.size,
    key: `${ds}|${keepDims}`,
    saves: 'none',
    compute: () => tf.mean(x.data!, ds, keepDims),
    backward: (dy) => [broadcastTo(scaleNoTape(keepDims ? dy : reshape(dy, kept), 1 / count), x.shape)],
  });
}

function scaleNoTape(x: Tensor, s: number): Tensor {
  return x.ctx.apply({ name: 'scale', inputs: [x], shape: x.shape, dtype: x.dtype, flops: x.size, key: String(s), saves: 'none', compute: () => tf.mul(x.data!, s), backward: (dy) => [scaleNoTape(dy, s)] });
}

/** Max over dims (no gradient: used for numerical stabilisation). */
export function max(x: Tensor, dims?: number | readonly number[], keepDims = false): Tensor {
  const ds = dimsOf(x, dims);
  const shape = keepDims ? keptShape(x, ds) : x.shape.filter((_, i) => !ds.includes(i));
  return x.ctx.apply({ name: 'max', inputs: [x], shape, dtype: x.dtype, flops: x.size, key: `${ds}|${keepDims}`, compute: () => tf.max(x.data!, ds, keepDims) });
}

/** Broadcast x to `shape` (NumPy rules). Backward: sum back to x's shape. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const n = shape.length;
  if (x.ndim > n) throw shapeError(x, `cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
  for (let i = 0; i < x.ndim; i++) {
    const d = x.shape[i];
    const t = shape[n - x.ndim + i];
    if (d !== t && d !== 1) throw shapeError(x, `cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
  }
  return x.ctx.apply({
    name: 'broadcast',
    inputs: [x],
    shape,
    dtype: x.dtype,
    flops: 0,
    key: '',
    saves: 'none',
    bytes: 0,
    free: true,
    compute: () => tf.broadcastTo(x.data!, [...shape]),
    backward: (dy) => [sumToShape(dy, x.shape)],
  });
}

/** Sum a broadcast gradient back down to `shape`. */
export function sumToShape(x: Tensor, shape: readonly number[]): Tensor {
  const lead = x.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (i < lead) dims.push(i);
    else if (shape[i - lead] === 1 && x.shape[i] !== 1) dims.push(i);
  }
  if (dims.length === 0) return x;
  const s = sum(x, dims, true);
  return reshape(s, shape);
}
