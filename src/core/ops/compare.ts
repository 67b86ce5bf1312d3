import * as tf from '@tensorflow/tfjs-core';
import { isFloat, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes } from './check.js';
import { castData } from './dtype-cast.js';
import { promoteScalar, promoteTypes } from './kernel.js';

/**
 * Comparisons and logic, PyTorch's: bool results, broadcast, no gradient. The other operand may
 * be a number (x < 0.5). Operands are compared in their promoted dtype (a bool as 0/1).
 */

type Cmp = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** Storage dtype in which two operands are compared. */
function cmpStorage(d: DType): 'float32' | 'int32' {
  return isFloat(d) ? 'float32' : 'int32';
}

function compare(name: string, a: Tensor, b: Tensor | number, f: Cmp): Tensor {
  if (typeof b === 'number') {
    const s = cmpStorage(promoteScalar(a.dtype, b));
    return a.ctx.apply({
      name,
      inputs: [a],
      shape: a.shape,
      dtype: 'bool',
      flops: a.size,
      key: String(b),
      saves: 'none',
      compute: () => tf.tidy(() => f(tf.cast(a.data!, s), tf.scalar(b, s))),
    });
  }
  const shape = broadcastShapes(a, b, name);
  const s = cmpStorage(promoteTypes(a.dtype, b.dtype));
  return a.ctx.apply({
    name,
    inputs: [a, b],
    shape,
    dtype: 'bool',
    flops: shape.reduce((p, d) => p * d, 1),
    key: '',
    saves: 'none',
    compute: () => tf.tidy(() => f(tf.cast(a.data!, s), tf.cast(b.data!, s))), // (tf broadcasts)
  });
}

/** a == b. */
export function eq(a: Tensor, b: Tensor | number): Tensor {
  return compare('eq', a, b, tf.equal);
}

/** a != b. */
export function ne(a: Tensor, b: Tensor | number): Tensor {
  return compare('ne', a, b, tf.notEqual);
}

/** a < b. */
export function lt(a: Tensor, b: Tensor | number): Tensor {
  return compare('lt', a, b, tf.less);
}

/** a <= b. */
export function le(a: Tensor, b: Tensor | number): Tensor {
  return compare('le', a, b, tf.lessEqual);
}

/** a > b. */
export function gt(a: Tensor, b: Tensor | number): Tensor {
  return compare('gt', a, b, tf.greater);
}

/** a >= b. */
export function ge(a: Tensor, b: Tensor | number): Tensor {
  return compare('ge', a, b, tf.greaterEqual);
}

/** not x (x ≠ 0 is true). */
export function logicalNot(x: Tensor): Tensor {
  return x.ctx.apply({ name: 'logical_not', inputs: [x], shape: x.shape, dtype: 'bool', flops: x.size, key: '', saves: 'none', compute: () => tf.tidy(() => tf.logicalNot(castData(x.data!, 'bool'))) });
}

function logical(name: string, a: Tensor, b: Tensor, f: Cmp): Tensor {
  const shape = broadcastShapes(a, b, name);
  return a.ctx.apply({
    name,
    inputs: [a, b],
    shape,
    dtype: 'bool',
    flops: shape.reduce((p, d) => p * d, 1),
    key: '',
    saves: 'none',
    compute: () => tf.tidy(() => f(castData(a.data!, 'bool'), castData(b.data!, 'bool'))),
  });
}

/** a and b (nonzero is true). */
export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  return logical('logical_and', a, b, tf.logicalAnd);
}

/** a or b (nonzero is true). */
export function logicalOr(a: Tensor, b: Tensor): Tensor {
  return logical('logical_or', a, b, tf.logicalOr);
}

/** a xor b (nonzero is true). */
export function logicalXor(a: Tensor, b: Tensor): Tensor {
  return logical('logical_xor', a, b, tf.logicalXor);
}

function test1(name: string, x: Tensor, f: (t: tf.Tensor) => tf.Tensor, ifInt: boolean): Tensor {
  return x.ctx.apply({ name, inputs: [x], shape: x.shape, dtype: 'bool', flops: x.size, key: '', saves: 'none', compute: () => (isFloat(x.dtype) ? f(x.data!) : tf.fill([...x.shape], ifInt ? 1 : 0, 'bool')) });
}

/** x is NaN (never for integers). */
export function isnan(x: Tensor): Tensor {
  return test1('isnan', x, tf.isNaN, false);
}

/** x is ±inf (never for integers). */
export function isinf(x: Tensor): Tensor {
  return test1('isinf', x, tf.isInf, false);
}

/** x is neither NaN nor ±inf (always for integers). */
export function isfinite(x: Tensor): Tensor {
  return test1('isfinite', x, tf.isFinite, true);
}
