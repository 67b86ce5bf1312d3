import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../tensor.js';
import { fmt, normDim, shapeError } from './check.js';
import { reshape } from './shape.js';
import { preciseMeanData, preciseSumData, wantsPrecise } from './precise-sum.js';

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
    compute: () => sumData(x.data!, ds, keepDims),
    backward: (dy) => [broadcastTo(keepDims ? dy : reshape(dy, kept), x.shape)],
  });
}

/**
 * tf.sum, fast for a float sum over leading dims (a bias's gradient, a data-parallel or micro-batch
 * sum): as the product ones[1, R] · x[R, C]. Other sums of many terms (a loss's, a whole tensor's)
 * accumulate in float64 (precise-sum.ts), the same on every backend. TensorFlow.js's WASM Sum transposes the reduced dims
 * innermost first, which costs more than the sum (measured 55 ms for [1024, 4096] over dim 0).
 */
export function sumData(t: tf.Tensor, ds: readonly number[], keepDims: boolean): tf.Tensor {
  const k = ds.length;
  const leading = k > 0 && k < t.rank && ds.every((d, i) => d === i);
  if (!leading) return wantsPrecise(t, ds) ? preciseSumData(t, ds, keepDims) : tf.sum(t, [...ds], keepDims);
  if (t.dtype !== 'float32') return tf.sum(t, [...ds], keepDims);
  const rows = t.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const rest = t.shape.slice(k);
  const cols = rest.reduce((p, d) => p * d, 1);
  const out = keepDims ? [...t.shape.slice(0, k).map(() => 1), ...rest] : rest;
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(t, [rows, cols])), out));
}

/** Mean over `dims` (all when omitted); of many terms, accumulated in float64 (precise-sum.ts). */
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
    compute: () => (wantsPrecise(x.data!, ds) ? preciseMeanData(x.data!, ds, keepDims) : tf.mean(x.data!, ds, keepDims)),
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
    compute: () => broadcastData(x.data!, shape),
    backward: (dy) => [sumToShape(dy, x.shape)],
  });
}

/**
 * tf.broadcastTo, fast: TensorFlow.js's WASM Tile kernel (what broadcastTo runs) takes ~110 ns
 * per output element, 30× a broadcasting multiply. Numbers broadcast as x · 1 (exact, and it
 * keeps −0, NaN and ±Inf); booleans and strings take tfjs's own path.
 */
export function broadcastData(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') return tf.broadcastTo(t, [...shape]);
  if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return t.clone();
  return tf.tidy(() => tf.mul(tf.fill([...shape], 1, t.dtype), t));
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
