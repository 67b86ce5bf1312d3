import * as tf from '@tensorflow/tfjs-core';
import { numel } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, normDim, shapeError } from './check.js';

/** Reshape (a view: no time charged). One dim may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = s.reduce((p, d, i) => (i === neg ? p : p * d), 1);
    s[neg] = rest === 0 ? 0 : x.size / rest;
  }
  if (numel(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) {
    throw shapeError(x, `cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`, 'the new shape must hold the same number of elements');
  }
  return x.ctx.apply({
    name: 'reshape',
    inputs: [x],
    shape: s,
    dtype: x.dtype,
    flops: 0,
    key: '',
    free: true,
    saves: 'none', // the backward needs only x's shape
    compute: () => tf.reshape(x.data!, s),
    backward: (dy) => [reshape(dy, x.shape)],
  });
}

/** Permute dims; default reverses them. Charged as a copy. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((d) => normDim(x, d)) : x.shape.map((_, i) => x.ndim - 1 - i);
  if (p.length !== x.ndim || new Set(p).size !== p.length) throw shapeError(x, `transpose: ${fmt(p)} is not a permutation of the ${x.ndim} dims of ${fmt(x.shape)}`);
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => (inv[d] = i));
  return x.ctx.apply({
    name: 'transpose',
    inputs: [x],
    shape: p.map((d) => x.shape[d]),
    dtype: x.dtype,
    flops: 0,
    key: p.join(','),
    saves: 'none',
    compute: () => tf.transpose(x.data!, p),
    backward: (dy) => [transpose(dy, inv)],
  });
}

/**
 * Swap the last two dims — a view, as in PyTorch (`.mT`): the matmul that consumes it reads it
 * transposed, so no time is charged.
 */
export function transposeLast(x: Tensor): Tensor {
  const p = x.shape.map((_, i) => i);
  [p[x.ndim - 1], p[x.ndim - 2]] = [p[x.ndim - 2], p[x.ndim - 1]];
  return x.ctx.apply({
    name: 'transpose',
    inputs: [x],
    shape: p.map((d) => x.shape[d]),
    dtype: x.dtype,
    flops: 0,
    free: true,
    key: p.join(','),
    saves: 'none',
    compute: () => tf.transpose(x.data!, p),
    backward: (dy) => [transposeLast(dy)],
  });
}

/** x[..., start:start+length, ...] along `dim`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim(x, dim);
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > x.shape[d]) {
    throw shapeError(x, `narrow: [${start}, ${start + length}) is outside dim ${d} of size ${x.shape[d]} in ${fmt(x.shape)}`);
  }
  const begin = x.shape.map((_, i) => (i === d ? start : 0));
  const size = x.shape.map((s, i) => (i === d ? length : s));
  return x.ctx.apply({
    name: 'slice',
    inputs: [x],
    shape: size,
    dtype: x.dtype,
    flops: 0,
    key: `${d},${start},${length}`,
    saves: 'none',
    free: true, // a view, as torch.narrow is
    compute: () => tf.slice(x.data!, begin, size),
    backward: (dy) => [pad(dy, d, start, x.shape[d] - start - length)],
  });
}

/** Zero-pad along `dim` (the backward of narrow). */
export function pad(x: Tensor, dim: number, before: number, after: number): Tensor {
  const d = normDim(x, dim);
  const shape = x.shape.map((s, i) => (i === d ? s + before + after : s));
  return x.ctx.apply({
    name: 'pad',
    inputs: [x],
    shape,
    dtype: x.dtype,
    flops: 0,
    key: `${d},${before},${after}`,
    saves: 'none',
    compute: () => tf.pad(x.data!, x.shape.map((_, i) => (i === d ? [before, after] : [0, 0])) as [number, number][]),
    backward: (dy) => [narrow(dy, d, before, x.shape[d])],
  });
}

/** A contiguous copy of x (a view's own memory, as torch's .contiguous()). Charged as a copy. */
export function contiguous(x: Tensor): Tensor {
  return x.ctx.apply({
    name: 'contiguous',
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: 0,
    key: '',
    saves: 'none',
    compute: () => tf.clone(x.data!),
    backward: (dy) => [dy],
  });
}

/** Split along `dim` into `parts` equal chunks (or the given sizes). */
export function split(x: Tensor, dim: number, parts: number | readonly number[]): Tensor[] {
  const d = normDim(x, dim);
  const size = x.shape[d];
  let sizes: number[];
  if (typeof parts === 'number') {
    if (!Number.isInteger(parts) || parts < 1 || size % parts !== 0) {
      throw shapeError(x, `cannot split dim ${d} of ${fmt(x.shape)} (size ${size}) into ${parts} equal parts`, `choose a part count that divides ${size}`);
    }
    sizes = new Array<number>(parts).fill(size / parts);
  } else {
    sizes = [...parts];
    if (sizes.reduce((a, b) => a + b, 0) !== size) throw shapeError(x, `split sizes ${fmt(sizes)} do not add up to dim ${d} of size ${size}`);
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    out.push(narrow(x, d, start, s));
    start += s;
  }
  return out;
}

/** Concatenate along `dim`. */
export function concat(xs: readonly Tensor[], dim: number): Tensor {
  if (xs.length === 0) throw new Error('concat of no tensors');
  const x0 = xs[0];
  const d = normDim(x0, dim);
  for (const x of xs) {
    if (x.ndim !== x0.ndim || x.shape.some((s, i) => i !== d && s !== x0.shape[i])) {
      throw shapeError(x, `concat along dim ${d}: ${fmt(x.shape)} does not match ${fmt(x0.shape)} outside that dim`);
    }
  }
  const sizes = xs.map((x) => x.shape[d]);
  const shape = x0.shape.map((s, i) => (i === d ? sizes.reduce((a, b) => a + b, 0) : s));
  return x0.ctx.apply({
    name: 'concat',
    inputs: xs,
    shape,
    dtype: x0.dtype,
    flops: 0,
    key: `${d}`,
    saves: 'none',
    compute: () => tf.concat(xs.map((x) => x.data!), d),
    backward: (dy) => split(dy, d, sizes),
  });
}

/** Insert a size-1 dim. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = dim < 0 ? dim + x.ndim + 1 : dim;
  const s = [...x.shape];
  s.splice(d, 0, 1);
  return reshape(x, s);
}
