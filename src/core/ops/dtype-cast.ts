import * as tf from '@tensorflow/tfjs-core';
import { isFloat, storageDType, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';

/**
 * x.to(dtype) (PyTorch's cast): float → int truncates toward zero, anything → bool is "≠ 0",
 * bool → number is 0/1. Casting to the same dtype returns x itself, as PyTorch does.
 * Values stay float32 / int32 in TensorFlow.js (bfloat16, float16 and int64 are logical).
 * Backward: float → float casts the gradient back to x's dtype; no gradient through an integer
 * or bool result.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const floats = isFloat(x.dtype) && isFloat(dtype);
  return x.ctx.apply({
    name: 'cast',
    inputs: [x],
    shape: x.shape,
    dtype,
    flops: x.size,
    key: dtype,
    saves: 'none',
    compute: () => castData(x.data!, dtype),
    backward: floats ? (dy) => [cast(dy, x.dtype)] : undefined,
  });
}

/** The TensorFlow.js values of a cast to a logical dtype (a clone when the storage does not change). */
export function castData(t: tf.Tensor, dtype: DType): tf.Tensor {
  const to = storageDType(dtype);
  if (t.dtype === to) return t.clone();
  if (to === 'bool') return tf.notEqual(t, tf.scalar(0, t.dtype === 'bool' ? 'int32' : t.dtype));
  if (to === 'int32' && t.dtype === 'float32') return tf.tidy(() => tf.cast(tf.where(tf.less(t, 0), tf.ceil(t), tf.floor(t)), 'int32'));
  return tf.cast(t, to);
}

/** `t` in storage dtype `to` without a copy when it already is (inside a tidy). */
export function asStorage(t: tf.Tensor, dtype: DType): tf.Tensor {
  const to = storageDType(dtype);
  return t.dtype === to ? t : tf.cast(t, to);
}

/** x.clone(): a copy (charged as one read and one write). Backward: dy. */
export function clone(x: Tensor): Tensor {
  return x.ctx.apply({ name: 'clone', inputs: [x], shape: x.shape, dtype: x.dtype, flops: 0, key: '', saves: 'none', compute: () => x.data!.clone(), backward: (dy) => [dy] });
}

/**
 * x.detach(): the same values with no gradient history (a view, no time charged). Gradients do
 * not flow back through it.
 */
export function detach(x: Tensor): Tensor {
  return x.ctx.apply({ name: 'detach', inputs: [x], shape: x.shape, dtype: x.dtype, flops: 0, key: '', saves: 'none', free: true, compute: () => x.data!.clone() });
}
