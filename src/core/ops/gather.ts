import * as tf from '@tensorflow/tfjs-core';
import { bytesOf, numel } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, normDim, shapeError } from './check.js';
import { checkedIndex, kernel, requireIndex } from './kernel.js';
import { broadcastData } from './reduce.js';
import { narrow } from './shape.js';

/**
 * PyTorch's integer indexing: index_select, gather, scatter_add, one_hot. Index tensors are
 * int64 (or int32); an index out of range is an error (numeric mode reads the indices to check).
 */

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
