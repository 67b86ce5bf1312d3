import * as tf from '@tensorflow/tfjs-core';
import { isFloat, isInt, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';

/**
 * Helpers shared by the PyTorch-surface ops (unary-math, compare, index-ops, reduce-dims, ...):
 * a gradient kernel without a tape entry, and PyTorch's dtype promotion.
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
