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
 *
 * `fromGemm`: g is a weight gradient a matmul's backward produced, and acc is an fp32 main_grad
 * buffer (mixed precision): Megatron's gradient-accumulation fusion (on by default,
 * --gradient-accumulation-fusion) has the wgrad GEMM accumulate into main_grad in its epilogue,
 * so no separate kernel runs — the add takes no time here. Any other gradient (an embedding's,
 * a norm's) is added by its own kernel: 10 bytes per element (read bf16 g and fp32 acc, write acc).
 */
export function accumulateInto(acc: Tensor, g: Tensor, fromGemm = false): Tensor {
  if (!sameShape(acc.shape, g.shape)) throw new Error(`internal: gradient shapes differ [${acc.shape}] vs [${g.shape}]`);
  const fused = fromGemm && acc.dtype === 'float32' && g.dtype !== 'float32';
  return acc.ctx.noGrad(() =>
    acc.ctx.apply({ name: 'grad_accumulate', inputs: [acc, g], shape: acc.shape, dtype: acc.dtype, flops: acc.size, key: '', into: acc, fused, compute: () => tf.add(acc.data!, g.data!) }),
  );
}
