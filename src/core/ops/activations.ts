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

/**
 * Fused SwiGLU: silu(gate) ⊙ up as one kernel that keeps only its two inputs for the backward and
 * recomputes the SiLU there (Megatron's `bias_swiglu_impl`, `--swiglu` with its bias-SwiGLU
 * fusion; what torch.compile makes of `F.silu(g) * u`). The unfused form keeps three F-wide
 * tensors (gate for SiLU's backward, silu(gate) and up for the product's), this one two.
 *   forward   y = g·σ(g)·u                         gate, up [.., F] → y [.., F]
 *   backward  dg = (dy·u)·σ(g)·(1 + g·(1 − σ(g)))   du = dy·(g·σ(g))
 * Values and gradients are bit for bit those of mul(silu(gate), up): the same float32 steps.
 */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (!isFloat(gate.dtype) || !isFloat(up.dtype)) throw shapeError(gate, `swiglu: needs float tensors, got ${gate.describe()} and ${up.describe()}`);
  if (gate.shape.length !== up.shape.length || gate.shape.some((d, i) => d !== up.shape[i])) {
    throw shapeError(gate, `swiglu: gate ${gate.describe()} and up ${up.describe()} must have the same shape`);
  }
  const siluOf = (t: tf.Tensor) => tf.mul(t, tf.sigmoid(t));
  return gate.ctx.apply({
    name: 'swiglu',
    inputs: [gate, up],
    shape: gate.shape,
    dtype: gate.dtype,
    flops: 6 * gate.size,
    key: '',
    compute: () => tf.tidy(() => tf.mul(siluOf(gate.data!), up.data!)),
    backward: (dy) => [
      gate.requiresGrad
        ? kernel('swiglu_grad_gate', [dy, gate, up], gate.shape, dy.dtype, 8 * gate.size, () =>
            tf.tidy(() => {
              const t = gate.data!;
              const sg = tf.sigmoid(t);
              return tf.mul(tf.mul(dy.data!, up.data!), tf.mul(sg, tf.add(1, tf.mul(t, tf.sub(1, sg)))));
            }))
        : null,
      up.requiresGrad ? kernel('swiglu_grad_up', [dy, gate], up.shape, dy.dtype, 5 * gate.size, () => tf.tidy(() => tf.mul(dy.data!, siluOf(gate.data!)))) : null,
    ],
  });
}
