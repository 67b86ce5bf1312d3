import * as tf from '@tensorflow/tfjs-core';
import { isFloat, isInt, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, shapeError } from './check.js';

/**
 * Helpers shared by the PyTorch-surface ops (unary-math, compare, masking, gather, ...): a
 * gradient kernel without a tape entry, PyTorch's dtype promotion and broadcasting, index checks,
 * and the ways around the WASM kernels that misread bool values.
 */

/**
 * One op with no backward of its own (a gradient kernel, a comparison): computed, costed and
 * traced like any other op. `key` declares it depends only on its inputs and that string.
 */
export function kernel(name: string, inputs: readonly Tensor[], shape: readonly number[], dtype: DType, flops: number, compute: () => tf.Tensor, key = ''): Tensor {
  return inputs[0].ctx.apply({ name, inputs, shape, dtype, flops, key, compute });
}

/** PyTorch's result type of two tensors: float beats integer beats bool; the wider within a kind. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (isFloat(a) && isFloat(b)) return 'float32'; // two different floats: one is float32, or float16 with bfloat16
  if (isFloat(a)) return a;
  if (isFloat(b)) return b;
  if (isInt(a) && isInt(b)) return a === 'int64' || b === 'int64' ? 'int64' : 'int32';
  return isInt(a) ? a : b; // int with bool
}

/** PyTorch's result type of a tensor and a Python scalar: the tensor's, unless the scalar is of a higher kind. */
export function promoteScalar(t: DType, s: number | boolean): DType {
  if (typeof s === 'boolean') return t;
  if (!Number.isInteger(s) && !isFloat(t)) return 'float32';
  if (t === 'bool') return Number.isInteger(s) ? 'int64' : 'float32';
  return t;
}

/** The dtype a float-valued function (sin, erf ...) returns: the input's if float, else float32. */
export function floatOf(d: DType): DType {
  return isFloat(d) ? d : 'float32';
}

/**
 * tf.where(cond, a, b) that also works on bool values: the WASM backend's Select reads bool
 * operands wrongly (all false, or out of bounds), so they go through int32.
 */
export function selectData(cond: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype !== 'bool') return tf.where(cond, a, b);
  return tf.tidy(() => tf.cast(tf.where(cond, tf.cast(a, 'int32'), tf.cast(b, 'int32')), 'bool'));
}

/**
 * f on bool values through int32: the WASM backend's Reverse kernel misreads bool tensors
 * (measured: garbage values), so they run on 0/1 integers.
 */
export function viaInt(t: tf.Tensor, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (t.dtype !== 'bool') return f(t);
  return tf.tidy(() => tf.cast(f(tf.cast(t, 'int32')), 'bool'));
}

export function broadcastAll(x: Tensor, shapes: readonly (readonly number[])[], op: string): number[] {
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

export function requireIndex(t: Tensor, op: string): void {
  if (!isInt(t.dtype)) throw shapeError(t, `${op}: the index must be an integer tensor (int64 or int32), got ${t.describe()}`, 'cast the index with .long()');
}

/** Numeric mode: every index in [−size, size) — PyTorch raises on an index out of range. Returns them wrapped to [0, size). */
export function checkedIndex(t: Tensor, size: number, x: Tensor, op: string, wrap: boolean): tf.Tensor {
  const v = t.data!.dataSync() as Int32Array;
  for (let i = 0; i < v.length; i++) {
    if (v[i] >= size || v[i] < (wrap ? -size : 0)) throw shapeError(x, `${op}: index ${v[i]} is out of range for a dim of size ${size} (tensor ${fmt(x.shape)})`);
  }
  return wrap ? tf.tidy(() => tf.where(tf.less(t.data!, 0), tf.add(t.data!, size), t.data!)) : t.data!.clone();
}
