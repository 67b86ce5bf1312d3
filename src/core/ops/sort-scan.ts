import * as tf from '@tensorflow/tfjs-core';
import { isFloat } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, normDim, shapeError } from './check.js';
import { asStorage } from './dtype-cast.js';
import { gather } from './gather.js';

/**
 * Scans and order statistics with PyTorch's semantics: cumsum, topk, sort. Indices are int64;
 * the values of topk/sort are a gather of x at them, so their gradient goes back to those places.
 */

/**
 * torch.cumsum(x, dim): running sums along `dim`; integer and bool inputs give int64.
 * Backward: the reverse running sum of dy.
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normDim(x, dim);
  const dtype = isFloat(x.dtype) ? x.dtype : 'int64';
  return x.ctx.apply({
    name: 'cumsum',
    inputs: [x],
    shape: x.shape,
    dtype,
    flops: x.size,
    key: String(d),
    saves: 'none',
    compute: () => tf.tidy(() => tf.cumsum(asStorage(x.data!, dtype), d)),
    backward: isFloat(dtype) ? (dy) => [reverseCumsum(dy, d)] : undefined,
  });
}

function reverseCumsum(dy: Tensor, d: number): Tensor {
  return dy.ctx.apply({ name: 'cumsum_grad', inputs: [dy], shape: dy.shape, dtype: dy.dtype, flops: dy.size, key: String(d), saves: 'none', compute: () => tf.cumsum(dy.data!, d, false, true), backward: (g) => [cumsum(g, d)] });
}

/** Indices [.., k, ..] (int64) of the k largest (or smallest) along d, sorted from the extreme. */
function topIndices(x: Tensor, k: number, d: number, largest: boolean, name: string): Tensor {
  const n = x.ndim;
  const shape = x.shape.map((s, i) => (i === d ? k : s));
  return x.ctx.apply({
    name,
    inputs: [x],
    shape,
    dtype: 'int64',
    flops: x.size * Math.max(1, Math.ceil(Math.log2(Math.max(2, k)))),
    key: `${k}|${d}|${largest}`,
    compute: () =>
      tf.tidy(() => {
        // tf.topk works on the last dim: move d last and back
        const perm = Array.from({ length: n }, (_, i) => i).filter((i) => i !== d).concat(d);
        const inv = new Array<number>(n);
        perm.forEach((p, i) => (inv[p] = i));
        const t = tf.transpose(tf.cast(x.data!, 'float32'), perm);
        const { indices } = tf.topk(largest ? t : tf.neg(t), k, true);
        return tf.transpose(indices, inv);
      }),
  });
}

/**
 * torch.topk(x, k, dim=-1, largest=True): [values, indices] of the k largest (smallest) along
 * `dim`, in order. Backward: dy to the picked places.
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true): [Tensor, Tensor] {
  const d = normDim(x, dim);
  if (!Number.isInteger(k) || k < 0 || k > x.shape[d]) throw shapeError(x, `topk: k = ${k} is out of range for dim ${d} of size ${x.shape[d]} in ${fmt(x.shape)}`, `use 0 ≤ k ≤ ${x.shape[d]}`);
  const idx = topIndices(x, k, d, largest, 'topk');
  return [gather(x, d, idx), idx];
}

/** torch.sort(x, dim=-1, descending=False): [values, indices] along `dim`. Backward: dy to the places they came from. */
export function sort(x: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
  const d = normDim(x, dim);
  const idx = topIndices(x, x.shape[d], d, descending, 'sort');
  return [gather(x, d, idx), idx];
}
