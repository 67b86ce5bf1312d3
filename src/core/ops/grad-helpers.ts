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
