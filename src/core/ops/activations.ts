import * as tf from '@tensorflow/tfjs-core';
import { isFloat } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { shapeError } from './check.js';
import { gelu, square } from './elementwise.js';
import { kernel } from './kernel.js';

/**
 * F.gelu with PyTorch's default, the exact erf form; elementwise.ts's gelu is the tanh
 * approximation (GPT-2's gelu_new) the built-in models use.
 */

/**
 * Exact GELU (PyTorch's default, approximate='none'): x·Φ(x) = 0.5·x·(1 + erf(x/√2)).
 * Backward: dy · (Φ(x) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π).
 */
export function geluErf(x: Tensor): Tensor {
  if (!isFloat(x.dtype)) throw shapeError(x, `gelu: needs a float tensor, got ${x.describe()}`);
  const cdf = (t: tf.Tensor) => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(t, Math.SQRT1_2))));
  return x.ctx.apply({
    name: 'gelu_erf',
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: 10 * x.size,
    key: '',
    compute: () => tf.tidy(() => tf.mul(x.data!, cdf(x.data!))),
    backward: (dy) => [
      kernel('gelu_erf_grad', [dy, x], x.shape, dy.dtype, 14 * x.size, () =>
        tf.tidy(() => {
          const t = x.data!;
          const pdf = tf.mul(1 / Math.sqrt(2 * Math.PI), tf.exp(tf.mul(-0.5, tf.square(t))));
          return tf.mul(dy.data!, tf.add(cdf(t), tf.mul(t, pdf)));
        })),
    ],
  });
}

/** F.gelu(x, approximate): 'none' (default, exact erf form) or 'tanh' (nn.ts's gelu, GPT-2's gelu_new). */
export function geluApprox(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return approximate === 'tanh' ? gelu(x) : geluErf(x);
}
