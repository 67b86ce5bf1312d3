import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../tensor.js';
import { fmt, normDim, shapeError } from './check.js';
import { kernel, viaInt } from './kernel.js';
import { broadcastTo, sum } from './reduce.js';
import { concat, narrow, reshape, unsqueeze } from './shape.js';

/**
 * PyTorch's views and copies along dims: expand, squeeze, stack, select, strided slice, flip,
 * repeat (reshape, transpose, narrow, concat and split are in shape.ts).
 */

/** x.expand(*shape): size-1 dims repeat (a view); −1 keeps a dim; new dims go in front. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  if (lead < 0) throw shapeError(x, `expand: ${fmt(shape)} has fewer dims than the tensor ${fmt(x.shape)}`, `give at least ${x.ndim} sizes`);
  const out = shape.map((s, i) => {
    if (i < lead) {
      if (s < 0) throw shapeError(x, `expand: size ${s} for new leading dim ${i} of ${fmt(shape)}`, 'new leading dims need a non-negative size (−1 only keeps an existing dim)');
      return s;
    }
    const d = x.shape[i - lead];
    if (s === -1) return d;
    if (s !== d && d !== 1) throw shapeError(x, `expand: dim ${i - lead} of ${fmt(x.shape)} has size ${d}, which cannot expand to ${s} in ${fmt(shape)}`, 'only size-1 dims expand; use repeat to copy larger ones');
    return s;
  });
  return broadcastTo(x, out);
}

/** Remove size-1 dims: the given ones (dims of another size stay, as in PyTorch), or all. A view. */
export function squeeze(x: Tensor, dims?: number | readonly number[]): Tensor {
  const ds = dims === undefined ? x.shape.map((_, i) => i) : (typeof dims === 'number' ? [dims] : dims).map((d) => normDim(x, d));
  return reshape(x, x.shape.filter((s, i) => !(s === 1 && ds.includes(i))));
}

/** Stack same-shaped tensors along a new dim `dim` (in [−(n+1), n]). Backward: the slices of dy. */
export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  if (xs.length === 0) throw new Error('stack of no tensors');
  const x0 = xs[0];
  const n = x0.ndim;
  const d = dim < 0 ? dim + n + 1 : dim;
  if (!Number.isInteger(d) || d < 0 || d > n) throw shapeError(x0, `stack: dim ${dim} is out of range for ${n}-dim tensors`, `use a dim in [${-n - 1}, ${n}]`);
  for (const x of xs) {
    if (x.ndim !== n || x.shape.some((s, i) => s !== x0.shape[i])) throw shapeError(x, `stack: all tensors must have the same shape, got ${fmt(x.shape)} and ${fmt(x0.shape)}`);
  }
  return concat(xs.map((x) => unsqueeze(x, d)), d);
}

/** x[..., i, ...] along `dim` (i may be negative): the dim is dropped. A view. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim(x, dim);
  const size = x.shape[d];
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size) throw shapeError(x, `select: index ${index} is out of range for dim ${d} of size ${size} in ${fmt(x.shape)}`, `use an index in [${-size}, ${size - 1}]`);
  return reshape(narrow(x, d, i, 1), x.shape.filter((_, k) => k !== d));
}

/**
 * x[start:end:step] along `dim`, Python's rules: negative start/end count from the end, both are
 * clamped to [0, size], step ≥ 1; omitted means the whole dim. A view (no time charged).
 * Backward: dy scattered back into zeros at the selected positions.
 */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  const d = normDim(x, dim);
  const size = x.shape[d];
  if (!Number.isInteger(step) || step < 1) throw shapeError(x, `slice: step must be a positive integer, got ${step}`, 'for a reversed slice use flip');
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const b = clampIdx(start ?? 0);
  const e = Math.max(clampIdx(end ?? size), b);
  const len = Math.ceil((e - b) / step);
  if (step === 1) return narrow(x, d, b, len);
  const shape = x.shape.map((s, i) => (i === d ? len : s));
  return x.ctx.apply({
    name: 'slice',
    inputs: [x],
    shape,
    dtype: x.dtype,
    flops: 0,
    key: `${d},${b},${e},${step}`,
    saves: 'none',
    free: true, // a strided view, as in PyTorch
    // a gather of rows b, b + step, ...: the WASM backend's StridedSlice misreads int32 and bool
    compute: () => (len === 0 ? tf.zeros(shape, x.data!.dtype) : tf.tidy(() => tf.gather(x.data!, tf.range(b, b + len * step, step, 'int32'), d))),
    backward: (dy) => [
      kernel('slice_grad', [dy], x.shape, dy.dtype, 0, () =>
        tf.tidy(() => {
          if (len === 0) return tf.zeros([...x.shape]);
          // interleave step − 1 zeros after each row: [.., len, ..] → [.., len, step, ..] → [.., len·step, ..]
          const spread = tf.pad(tf.expandDims(dy.data!, d + 1), [...x.shape.map((): [number, number] => [0, 0]), [0, 0]].map((p, i) => (i === d + 1 ? [0, step - 1] : p)) as [number, number][]);
          const flat = tf.reshape(spread, x.shape.map((s, i) => (i === d ? len * step : s)));
          const keep = Math.min(len * step, size - b);
          const kept = tf.slice(flat, x.shape.map(() => 0), x.shape.map((s, i) => (i === d ? keep : s)));
          return tf.pad(kept, x.shape.map((_, i): [number, number] => (i === d ? [b, size - b - keep] : [0, 0])));
        }), `${d},${b},${e},${step}`),
    ],
  });
}

/** Reverse the order along `dims`. Backward: flip of dy. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const ds = [...new Set((typeof dims === 'number' ? [dims] : dims).map((d) => normDim(x, d)))].sort((a, b) => a - b);
  return x.ctx.apply({
    name: 'flip',
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: 0,
    key: ds.join(','),
    saves: 'none',
    compute: () => (ds.length ? viaInt(x.data!, (t) => tf.reverse(t, ds)) : x.data!.clone()),
    backward: (dy) => [flip(dy, ds)],
  });
}

/** x.repeat(*reps): tile the tensor reps[i] times along dim i (extra reps add leading dims). Backward: the tiles of dy summed. */
export function repeat(x: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < x.ndim) throw shapeError(x, `repeat: ${reps.length} repeat counts for a ${x.ndim}-dim tensor ${fmt(x.shape)}`, `give at least ${x.ndim} counts`);
  if (reps.some((r) => !Number.isInteger(r) || r < 0)) throw shapeError(x, `repeat: counts must be non-negative integers, got ${fmt(reps)}`);
  const inShape = [...new Array<number>(reps.length - x.ndim).fill(1), ...x.shape];
  const xin = inShape.length === x.ndim ? x : reshape(x, inShape);
  const shape = inShape.map((s, i) => s * reps[i]);
  return x.ctx.apply({
    name: 'repeat',
    inputs: [xin],
    shape,
    dtype: x.dtype,
    flops: 0,
    key: reps.join(','),
    saves: 'none',
    compute: () => tf.tile(xin.data!, [...reps]),
    backward: (dy) => {
      // [r0·s0, r1·s1, ...] → [r0, s0, r1, s1, ...], summed over the r's
      const split = reshape(dy, inShape.flatMap((s, i) => [reps[i], s]));
      return [reshape(sum(split, inShape.map((_, i) => 2 * i)), inShape)];
    },
  });
}
