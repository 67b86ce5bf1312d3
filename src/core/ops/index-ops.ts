import * as tf from '@tensorflow/tfjs-core';
import { bytesOf, isFloat, isInt, numel, storageDType, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, normDim, shapeError } from './check.js';
import { castData } from './dtype-cast.js';
import { kernel, promoteScalar, promoteTypes, selectData, viaInt } from './kernel.js';
import { broadcastData, broadcastTo, sum, sumToShape } from './reduce.js';
import { concat, narrow, reshape, unsqueeze } from './shape.js';

/**
 * PyTorch's indexing and masking: masked_fill, where (all three broadcast), triu/tril, expand,
 * stack, select, strided slice, flip, repeat, index_select, gather, scatter_add, squeeze.
 * Index tensors are int64 or int32; an index out of range is an error (numeric mode checks it).
 */

/** The broadcast of several shapes (NumPy rules), or a shape error on `x`. */
function broadcastAll(x: Tensor, shapes: readonly (readonly number[])[], op: string): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(n).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = n - s.length + i;
      const d = s[i];
      if (d === out[k] || d === 1) continue;
      if (out[k] !== 1) throw shapeError(x, `${op}: shapes ${shapes.map(fmt).join(', ')} do not broadcast (dim ${k - n}: ${out[k]} vs ${d})`, 'make the sizes equal, or 1 where the values should repeat');
      out[k] = d;
    }
  }
  return out;
}

function requireIndex(t: Tensor, op: string): void {
  if (!isInt(t.dtype)) throw shapeError(t, `${op}: the index must be an integer tensor (int64 or int32), got ${t.describe()}`, 'cast the index with .long()');
}

/** Numeric mode: every index in [−size, size) — PyTorch raises on an index out of range. Returns them wrapped to [0, size). */
function checkedIndex(t: Tensor, size: number, x: Tensor, op: string, wrap: boolean): tf.Tensor {
  const v = t.data!.dataSync() as Int32Array;
  for (let i = 0; i < v.length; i++) {
    if (v[i] >= size || v[i] < (wrap ? -size : 0)) throw shapeError(x, `${op}: index ${v[i]} is out of range for a dim of size ${size} (tensor ${fmt(x.shape)})`);
  }
  return wrap ? tf.tidy(() => tf.where(tf.less(t.data!, 0), tf.add(t.data!, size), t.data!)) : t.data!.clone();
}

// ------------------------------------------------------------------ masking

/**
 * x with `value` where mask is true; mask (bool, or nonzero) broadcasts to x's shape.
 * Backward: dy with zeros where masked.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastAll(x, [x.shape, mask.shape], 'masked_fill');
  if (shape.length !== x.ndim || shape.some((d, i) => d !== x.shape[i])) {
    throw shapeError(x, `masked_fill: mask ${fmt(mask.shape)} does not broadcast to the tensor's shape ${fmt(x.shape)}`, 'the mask may have size 1 where x does not, but not more dims or larger sizes');
  }
  return x.ctx.apply({
    name: 'masked_fill',
    inputs: [x, mask],
    shape: x.shape,
    dtype: x.dtype,
    flops: x.size,
    key: String(value),
    saves: [mask],
    compute: () => tf.tidy(() => selectData(broadcastData(castData(mask.data!, 'bool'), x.shape), tf.fill([...x.shape], value, storageDType(x.dtype)), x.data!)),
    backward: (dy) => [maskedFill(dy, mask, 0), null],
  });
}

/**
 * where(cond, a, b): a where cond is true, else b; cond, a and b all broadcast, and a or b may be a
 * number (dtype promoted as PyTorch). Backward: dy where cond to a, elsewhere to b (summed back to
 * their shapes).
 */
export function whereBroadcast(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const ta = typeof a === 'number' ? null : a;
  const tb = typeof b === 'number' ? null : b;
  const shape = broadcastAll(cond, [cond.shape, ta?.shape ?? [], tb?.shape ?? []], 'where');
  let dtype: DType;
  if (ta && tb) dtype = promoteTypes(ta.dtype, tb.dtype);
  else if (ta) dtype = promoteScalar(ta.dtype, b as number);
  else if (tb) dtype = promoteScalar(tb.dtype, a as number);
  else dtype = Number.isInteger(a) && Number.isInteger(b) ? 'int64' : 'float32';
  const st = storageDType(dtype);
  const data = (v: Tensor | number) => (typeof v === 'number' ? tf.fill(shape, v, st) : broadcastData(castData(v.data!, dtype), shape));
  const inputs = [cond];
  if (ta) inputs.push(ta);
  if (tb) inputs.push(tb);
  return cond.ctx.apply({
    name: 'where',
    inputs,
    shape,
    dtype,
    flops: numel(shape),
    key: `${typeof a === 'number' ? a : 't'},${typeof b === 'number' ? b : 't'}`,
    saves: [cond],
    compute: () => tf.tidy(() => selectData(broadcastData(castData(cond.data!, 'bool'), shape), data(a), data(b))),
    backward: isFloat(dtype)
      ? (dy) => {
          const grads: (Tensor | null)[] = [null];
          if (ta) grads.push(ta.requiresGrad ? sumToShape(whereBroadcast(cond, dy, 0), ta.shape) : null);
          if (tb) grads.push(tb.requiresGrad ? sumToShape(whereBroadcast(cond, 0, dy), tb.shape) : null);
          return grads;
        }
      : undefined,
  });
}

function triangle(name: 'triu' | 'tril', x: Tensor, diagonal: number): Tensor {
  if (x.ndim < 2) throw shapeError(x, `${name}: needs a tensor of at least 2 dims, got ${fmt(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw shapeError(x, `${name}: diagonal must be an integer, got ${diagonal}`);
  const r = x.shape[x.ndim - 2];
  const c = x.shape[x.ndim - 1];
  return x.ctx.apply({
    name,
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: x.size,
    key: String(diagonal),
    saves: 'none',
    compute: () =>
      tf.tidy(() => {
        // col − row, [r, c]
        const offset = tf.sub(tf.reshape(tf.range(0, c, 1, 'int32'), [1, c]), tf.reshape(tf.range(0, r, 1, 'int32'), [r, 1]));
        const keep = name === 'triu' ? tf.greaterEqual(offset, diagonal) : tf.lessEqual(offset, diagonal);
        return selectData(broadcastData(keep, x.shape), x.data!, tf.zeros([...x.shape], storageDType(x.dtype)));
      }),
    backward: (dy) => [triangle(name, dy, diagonal)],
  });
}

/** The upper triangle of the last two dims: elements with col − row ≥ diagonal, others 0. Backward: triu of dy. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal);
}

/** The lower triangle of the last two dims: elements with col − row ≤ diagonal, others 0. Backward: tril of dy. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal);
}

// ------------------------------------------------------------------ views and copies

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

// ------------------------------------------------------------------ gathers and scatters

/** x's dim moved first, for a row gather/scatter: [perm, inverse perm]. */
function dimFirst(n: number, d: number): [number[], number[]] {
  const perm = [d, ...Array.from({ length: n }, (_, i) => i).filter((i) => i !== d)];
  const inv = new Array<number>(n);
  perm.forEach((p, i) => (inv[p] = i));
  return [perm, inv];
}

/**
 * x.index_select(dim, index): the slices at `index` (1-D, or 0-D) along `dim`, in its order.
 * Backward: dy's slices added back at their indices (repeats add up).
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim(x, dim);
  requireIndex(index, 'index_select');
  if (index.ndim > 1) throw shapeError(index, `index_select: the index must be 1-D, got ${fmt(index.shape)}`);
  const size = x.shape[d];
  const shape = x.shape.map((s, i) => (i === d ? index.size : s));
  return x.ctx.apply({
    name: 'index_select',
    inputs: [x, index],
    shape,
    dtype: x.dtype,
    flops: 0,
    bytes: 2 * bytesOf(numel(shape), x.dtype) + bytesOf(index.size, index.dtype), // reads only the picked slices
    key: String(d),
    saves: [index],
    compute: () => tf.tidy(() => tf.gather(x.data!, tf.reshape(checkedIndex(index, size, x, 'index_select', false), [-1]), d)),
    backward: (dy) => [
      kernel('index_select_grad', [dy, index], x.shape, dy.dtype, dy.size, () =>
        tf.tidy(() => {
          const [perm, inv] = dimFirst(x.ndim, d);
          const rows = tf.transpose(dy.data!, perm); // [n, ...rest]
          const shapeT = perm.map((p) => x.shape[p]);
          return tf.transpose(tf.scatterND(tf.reshape(index.data!, [-1, 1]), rows, shapeT), inv);
        }), String(d)),
      null,
    ],
  });
}

/** The full coordinates of torch.gather/scatter: [...index.shape, ndim], index's values in dim d. */
function coordinates(index: tf.Tensor, d: number): tf.Tensor {
  const shape = index.shape;
  const cols = shape.map((n, k) => {
    if (k === d) return tf.cast(index, 'int32');
    const r = tf.reshape(tf.range(0, n, 1, 'int32'), shape.map((_, i) => (i === k ? n : 1)));
    return broadcastData(r, shape);
  });
  return tf.stack(cols, -1);
}

function checkGather(x: Tensor, d: number, index: Tensor, op: string): void {
  requireIndex(index, op);
  if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== d && s > x.shape[i])) {
    throw shapeError(x, `${op}: index ${fmt(index.shape)} must have the tensor's ${x.ndim} dims and be no larger than ${fmt(x.shape)} outside dim ${d}`);
  }
}

/**
 * torch.gather(x, dim, index): out[..i..] = x[..index[..i..]..] with the index replacing position
 * `dim`; out has index's shape. Backward: scatter_add of dy into zeros shaped like x.
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim(x, dim);
  checkGather(x, d, index, 'gather');
  return x.ctx.apply({
    name: 'gather',
    inputs: [x, index],
    shape: index.shape,
    dtype: x.dtype,
    flops: 0,
    bytes: 2 * bytesOf(index.size, x.dtype) + bytesOf(index.size, index.dtype), // reads only the picked elements
    key: String(d),
    saves: [index],
    compute: () => tf.tidy(() => tf.gatherND(x.data!, coordinates(checkedIndex(index, x.shape[d], x, 'gather', false), d))),
    backward: (dy) => [scatterAddInto(x.shape, d, index, dy), null],
  });
}

/** zeros(shape) with src added at the gather coordinates (repeats add up): gather's backward. */
function scatterAddInto(shape: readonly number[], d: number, index: Tensor, src: Tensor): Tensor {
  return kernel('gather_grad', [src, index], shape, src.dtype, src.size, () => tf.tidy(() => tf.scatterND(coordinates(index.data!, d), src.data!, [...shape])), `${d}|${shape.join('x')}`);
}

/**
 * torch.scatter_add(x, dim, index, src): x with src[..i..] added at x[..index[..i..]..] (index
 * replacing position `dim`; src at least index's shape, only its leading index-shaped part read).
 * Backward: dx = dy, dsrc = gather(dy, dim, index) (reads only the index).
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normDim(x, dim);
  checkGather(x, d, index, 'scatter_add');
  if (src.ndim !== index.ndim || index.shape.some((s, i) => s > src.shape[i])) throw shapeError(src, `scatter_add: src ${fmt(src.shape)} must be at least the index's shape ${fmt(index.shape)}`);
  const part = index.shape.every((s, i) => s === src.shape[i]) ? src : slicePrefix(src, index.shape);
  return x.ctx.apply({
    name: 'scatter_add',
    inputs: [x, index, part],
    shape: x.shape,
    dtype: x.dtype,
    flops: part.size,
    key: String(d),
    saves: [index],
    compute: () => tf.tidy(() => tf.add(x.data!, tf.scatterND(coordinates(checkedIndex(index, x.shape[d], x, 'scatter_add', false), d), tf.cast(part.data!, x.data!.dtype), [...x.shape]))),
    backward: (dy) => [dy, null, part.requiresGrad ? gather(dy, d, index) : null],
  });
}

function slicePrefix(x: Tensor, shape: readonly number[]): Tensor {
  let y = x;
  shape.forEach((s, i) => {
    if (s !== y.shape[i]) y = narrow(y, i, 0, s);
  });
  return y;
}

/**
 * F.one_hot(index, num_classes): int64 [..., num_classes]. num_classes −1 (PyTorch's default)
 * means max(index) + 1, which needs the values: numeric mode only.
 */
export function oneHot(index: Tensor, numClasses = -1): Tensor {
  requireIndex(index, 'one_hot');
  let c = numClasses;
  if (c < 0) {
    if (index.ctx.mode === 'meta') throw shapeError(index, 'one_hot: num_classes = −1 needs the index values, which a meta run does not have', 'pass num_classes');
    const v = index.requireData().dataSync() as Int32Array;
    c = v.reduce((m, x) => Math.max(m, x), -1) + 1;
  }
  return index.ctx.apply({
    name: 'one_hot',
    inputs: [index],
    shape: [...index.shape, c],
    dtype: 'int64',
    flops: index.size * c,
    key: String(c),
    saves: 'none',
    compute: () => tf.tidy(() => tf.reshape(tf.oneHot(tf.reshape(checkedIndex(index, c, index, 'one_hot', false), [-1]) as tf.Tensor1D, c, 1, 0, 'int32'), [...index.shape, c])),
  });
}
