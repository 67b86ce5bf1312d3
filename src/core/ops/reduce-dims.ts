import * as tf from '@tensorflow/tfjs-core';
import { isFloat, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, normDim, shapeError } from './check.js';
import { sqrt } from './elementwise.js';
import { gather } from './gather.js';
import { squeeze } from './views.js';
import { castData } from './dtype-cast.js';
import { kernel } from './kernel.js';
import { reshape } from './shape.js';

/**
 * PyTorch's reductions beyond sum/mean (reduce.ts): amax/amin, max/min over a dim with indices,
 * argmax/argmin, prod, var/std. `dims` may be a number, a list (negative allowed) or omitted (all
 * dims); `keepdim` keeps reduced dims as size 1. Indices are int64.
 */

function dimsOf(x: Tensor, dims?: number | readonly number[] | null): number[] {
  if (dims === undefined || dims === null) return x.shape.map((_, i) => i);
  const ds = (typeof dims === 'number' ? [dims] : [...dims]).map((d) => normDim(x, d));
  return [...new Set(ds)].sort((a, b) => a - b);
}

function reducedShape(x: Tensor, ds: readonly number[], keepdim: boolean): number[] {
  return keepdim ? x.shape.map((s, i) => (ds.includes(i) ? 1 : s)) : x.shape.filter((_, i) => !ds.includes(i));
}

function requireNonEmpty(x: Tensor, ds: readonly number[], op: string): void {
  if (ds.some((d) => x.shape[d] === 0)) throw shapeError(x, `${op}: cannot reduce an empty dim of ${fmt(x.shape)}`, 'reduce over a dim of size > 0');
}

function extreme(name: 'amax' | 'amin', x: Tensor, dims: number | readonly number[] | null | undefined, keepdim: boolean): Tensor {
  const ds = dimsOf(x, dims);
  requireNonEmpty(x, ds, name);
  const f = name === 'amax' ? tf.max : tf.min;
  const kept = reducedShape(x, ds, true);
  return x.ctx.apply({
    name,
    inputs: [x],
    shape: reducedShape(x, ds, keepdim),
    dtype: x.dtype,
    flops: x.size,
    key: `${ds}|${keepdim}`,
    compute: () => f(x.data!, ds, keepdim),
    backward: isFloat(x.dtype)
      ? (dy) => [
          kernel(`${name}_grad`, [dy, x], x.shape, dy.dtype, 3 * x.size, () =>
            tf.tidy(() => {
              const hit = tf.cast(tf.equal(x.data!, f(x.data!, ds, true)), 'float32');
              return tf.div(tf.mul(hit, tf.reshape(dy.data!, kept)), tf.sum(hit, ds, true));
            }), `${ds}`),
        ]
      : undefined,
  });
}

/** Max over dims. Backward: dy split evenly among the elements equal to the max (PyTorch's amax). */
export function amax(x: Tensor, dims?: number | readonly number[] | null, keepdim = false): Tensor {
  return extreme('amax', x, dims, keepdim);
}

/** Min over dims. Backward: dy split evenly among the elements equal to the min. */
export function amin(x: Tensor, dims?: number | readonly number[] | null, keepdim = false): Tensor {
  return extreme('amin', x, dims, keepdim);
}

function argExtreme(name: 'argmax' | 'argmin', x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  const f = name === 'argmax' ? tf.argMax : tf.argMin;
  if (dim === undefined || dim === null) {
    // over the flattened tensor
    if (x.size === 0) throw shapeError(x, `${name}: the tensor ${fmt(x.shape)} is empty`);
    return x.ctx.apply({ name, inputs: [x], shape: keepdim ? x.shape.map(() => 1) : [], dtype: 'int64', flops: x.size, key: `all|${keepdim}`, compute: () => tf.tidy(() => tf.reshape(f(tf.reshape(x.data!, [-1]), 0), keepdim ? x.shape.map(() => 1) : [])) });
  }
  const d = normDim(x, dim);
  requireNonEmpty(x, [d], name);
  const shape = reducedShape(x, [d], keepdim);
  return x.ctx.apply({ name, inputs: [x], shape, dtype: 'int64', flops: x.size, key: `${d}|${keepdim}`, compute: () => tf.tidy(() => tf.reshape(f(x.data!, d), shape)) });
}

/** Index of the max along `dim` (the first one on ties), or of the flattened tensor when dim is omitted. int64, no gradient. */
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}

/** Index of the min along `dim` (the first one on ties), or of the flattened tensor. int64, no gradient. */
export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}

/**
 * torch.max(x, dim): [values, indices] of the max along `dim` (first index on ties). Backward:
 * dy goes to the element at the index (a gather's gradient), as PyTorch.
 */
export function maxDim(x: Tensor, dim: number, keepdim = false): [Tensor, Tensor] {
  return extremeDim(x, dim, keepdim, 'argmax');
}

/** torch.min(x, dim): [values, indices] of the min along `dim`. */
export function minDim(x: Tensor, dim: number, keepdim = false): [Tensor, Tensor] {
  return extremeDim(x, dim, keepdim, 'argmin');
}

function extremeDim(x: Tensor, dim: number, keepdim: boolean, which: 'argmax' | 'argmin'): [Tensor, Tensor] {
  const d = normDim(x, dim);
  const idx = argExtreme(which, x, d, true); // [..., 1, ...]
  const values = gather(x, d, idx);
  return keepdim ? [values, idx] : [squeeze(values, d), squeeze(idx, d)];
}

/**
 * Product over `dim` (all elements when omitted). Backward: dy · Π of the other elements, as
 * exclusive cumulative products from both sides (exact with zeros).
 */
export function prod(x: Tensor, dim?: number | null, keepdim = false, dtype?: DType): Tensor {
  const all = dim === undefined || dim === null;
  const src = all ? reshape(x, [x.size]) : x;
  const d = all ? 0 : normDim(x, dim);
  const shape = all ? (keepdim ? x.shape.map(() => 1) : []) : reducedShape(x, [d], keepdim);
  const out = dtype ?? (x.dtype === 'bool' || x.dtype === 'int32' ? 'int64' : x.dtype);
  return x.ctx.apply({
    name: 'prod',
    inputs: [src],
    shape,
    dtype: out,
    flops: x.size,
    key: `${d}|${all}|${keepdim}`,
    compute: () => tf.tidy(() => tf.reshape(tf.prod(tf.cast(src.data!, isFloat(out) ? 'float32' : 'int32'), d), shape)),
    backward: isFloat(x.dtype)
      ? (dy) => [
          kernel('prod_grad', [dy, src], src.shape, dy.dtype, 3 * src.size, () =>
            tf.tidy(() => {
              const t = src.data!;
              const others = tf.mul(tf.cumprod(t, d, true, false), tf.cumprod(t, d, true, true));
              return tf.mul(others, tf.reshape(dy.data!, src.shape.map((s, i) => (i === d ? 1 : s))));
            }), String(d)),
        ]
      : undefined,
  });
}

/**
 * Variance over dims: Σ(x − mean)² / (N − correction), N the reduced count; correction 1 is the
 * unbiased estimate (PyTorch's default), 0 the population variance.
 * Backward: dy · 2(x − mean) / (N − correction).
 */
export function variance(x: Tensor, dims?: number | readonly number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  const ds = dimsOf(x, dims);
  const c = opts.correction ?? 1;
  const keepdim = opts.keepdim ?? false;
  const n = ds.reduce((p, d) => p * x.shape[d], 1);
  const denom = Math.max(0, n - c); // PyTorch: N ≤ correction gives inf/nan
  const kept = reducedShape(x, ds, true);
  if (!isFloat(x.dtype)) throw shapeError(x, `var/std: needs a float tensor, got ${x.describe()}`, 'cast to float first');
  return x.ctx.apply({
    name: 'var',
    inputs: [x],
    shape: reducedShape(x, ds, keepdim),
    dtype: x.dtype,
    flops: 3 * x.size,
    key: `${ds}|${c}|${keepdim}`,
    compute: () =>
      tf.tidy(() => {
        const dev = tf.sub(x.data!, tf.mean(x.data!, ds, true));
        return tf.div(tf.sum(tf.square(dev), ds, keepdim), denom);
      }),
    backward: (dy) => [
      kernel('var_grad', [dy, x], x.shape, dy.dtype, 4 * x.size, () =>
        tf.tidy(() => {
          const dev = tf.sub(x.data!, tf.mean(x.data!, ds, true));
          return tf.mul(tf.mul(dev, 2 / denom), tf.reshape(dy.data!, kept));
        }), `${ds}|${c}`),
    ],
  });
}

/** Standard deviation: √variance (same options). Backward through sqrt and var. */
export function std(x: Tensor, dims?: number | readonly number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  return sqrt(variance(x, dims, opts));
}


function boolReduce(name: 'any' | 'all', x: Tensor, dims: number | readonly number[] | null | undefined, keepdim: boolean): Tensor {
  const ds = dimsOf(x, dims);
  const f = name === 'any' ? tf.any : tf.all;
  return x.ctx.apply({ name, inputs: [x], shape: reducedShape(x, ds, keepdim), dtype: 'bool', flops: x.size, key: `${ds}|${keepdim}`, saves: 'none', compute: () => tf.tidy(() => f(castData(x.data!, 'bool'), ds, keepdim)) });
}

/** torch.any: some element ≠ 0 over dims (all when omitted). bool, no gradient. */
export function any(x: Tensor, dims?: number | readonly number[] | null, keepdim = false): Tensor {
  return boolReduce('any', x, dims, keepdim);
}

/** torch.all: every element ≠ 0 over dims (all when omitted). bool, no gradient. */
export function all(x: Tensor, dims?: number | readonly number[] | null, keepdim = false): Tensor {
  return boolReduce('all', x, dims, keepdim);
}
