import * as tf from '@tensorflow/tfjs-core';
import { isFloat, numel, storageDType, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, shapeError } from './check.js';
import { castData } from './dtype-cast.js';
import { broadcastAll, promoteScalar, promoteTypes, selectData } from './kernel.js';
import { broadcastData, sumToShape } from './reduce.js';

/**
 * PyTorch's masking: masked_fill, where (cond, a and b all broadcast), triu/tril. Masks are bool
 * (or nonzero numbers). A select, never a product, so −inf fills stay −inf and never become NaN.
 */

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
