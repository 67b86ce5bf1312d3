import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../tensor.js';
import { normDim } from './check.js';
import { kernel } from './kernel.js';

/**
 * Softmax and log-softmax over any dim (PyTorch's F.softmax(x, dim) / F.log_softmax), stabilised
 * by the max along that dim. nn.ts's softmax is the last-dim one the built-in models use.
 */

/** y = exp(x − max) / Σ exp(x − max) along `dim`. Backward: dx = y ⊙ (dy − Σ_dim dy ⊙ y). */
export function softmaxDim(x: Tensor, dim: number): Tensor {
  const d = normDim(x, dim);
  const y: Tensor = x.ctx.apply({
    name: 'softmax',
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: 5 * x.size,
    key: String(d),
    saves: 'output',
    compute: () =>
      tf.tidy(() => {
        const e = tf.exp(tf.sub(x.data!, tf.max(x.data!, d, true)));
        return tf.div(e, tf.sum(e, d, true));
      }),
    backward: (dy) => [
      kernel('softmax_grad', [dy, y], x.shape, dy.dtype, 4 * x.size, () =>
        tf.tidy(() => {
          const p = tf.mul(dy.data!, y.data!);
          return tf.sub(p, tf.mul(y.data!, tf.sum(p, d, true)));
        }), String(d)),
    ],
  });
  return y;
}

/** y = x − max − log Σ exp(x − max) along `dim`. Backward: dx = dy − exp(y) · Σ_dim dy. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const d = normDim(x, dim);
  const y: Tensor = x.ctx.apply({
    name: 'log_softmax',
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: 5 * x.size,
    key: String(d),
    saves: 'output',
    compute: () =>
      tf.tidy(() => {
        const s = tf.sub(x.data!, tf.max(x.data!, d, true));
        return tf.sub(s, tf.log(tf.sum(tf.exp(s), d, true)));
      }),
    backward: (dy) => [
      kernel('log_softmax_grad', [dy, y], x.shape, dy.dtype, 4 * x.size, () => tf.tidy(() => tf.sub(dy.data!, tf.mul(tf.exp(y.data!), tf.sum(dy.data!, d, true)))), String(d)),
    ],
  });
  return y;
}

/**
 * torch.logsumexp(x, dims, keepdim): log Σ exp(x) over dims, stabilised by the max.
 * Backward: dy · softmax(x) over those dims (exp(x − y)).
 */
export function logsumexp(x: Tensor, dims: number | readonly number[], keepdim = false): Tensor {
  const ds = [...new Set((typeof dims === 'number' ? [dims] : dims).map((d) => normDim(x, d)))].sort((a, b) => a - b);
  const kept = x.shape.map((s, i) => (ds.includes(i) ? 1 : s));
  const shape = keepdim ? kept : x.shape.filter((_, i) => !ds.includes(i));
  const y: Tensor = x.ctx.apply({
    name: 'logsumexp',
    inputs: [x],
    shape,
    dtype: x.dtype,
    flops: 4 * x.size,
    key: `${ds}|${keepdim}`,
    compute: () =>
      tf.tidy(() => {
        // a max of −inf (a fully masked row) would give NaN in x − m: use 0 there
        const m = tf.max(x.data!, ds, true);
        const safe = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
        return tf.reshape(tf.add(tf.log(tf.sum(tf.exp(tf.sub(x.data!, safe)), ds, true)), safe), shape);
      }),
    backward: (dy) => [
      kernel('logsumexp_grad', [dy, x, y], x.shape, dy.dtype, 3 * x.size, () => tf.tidy(() => tf.mul(tf.reshape(dy.data!, kept), tf.exp(tf.sub(x.data!, tf.reshape(y.data!, kept))))), `${ds}`),
    ],
  });
  return y;
}
