import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../tensor.js';
import { sameShape } from './check.js';

/** dL/dL = 1 for a backward seed. */
export function onesLike(x: Tensor): Tensor {
  return x.ctx.noGrad(() => x.ctx.ones(x.shape, x.dtype));
}

/** a + b of two same-shaped gradients (autograd off, charged as backward compute). */
export function addInto(a: Tensor, b: Tensor): Tensor {
  if (!sameShape(a.shape, b.shape)) throw new Error(`internal: gradient shapes differ [${a.shape}] vs [${b.shape}]`);
  return a.ctx.noGrad(() =>
    a.ctx.apply({ name: 'grad_accumulate', inputs: [a, b], shape: a.shape, dtype: a.dtype, flops: a.size, key: '', compute: () => tf.add(a.data!, b.data!) }),
  );
}

/**
 * acc += g in place: a leaf's gradient over micro-batches accumulates into one buffer (Megatron's
 * main_grad), so the sum takes acc's memory and g is freed after the add.
 */
export function accumulateInto(acc: Tensor, g: Tensor): Tensor {
  if (!sameShape(acc.shape, g.shape)) throw new Error(`internal: gradient shapes differ [${acc.shape}] vs [${g.shape}]`);
  return acc.ctx.noGrad(() =>
    acc.ctx.apply({ name: 'grad_accumulate', inputs: [acc, g], shape: acc.shape, dtype: acc.dtype, flops: acc.size, key: '', into: acc, compute: () => tf.add(acc.data!, g.data!) }),
  );
}
