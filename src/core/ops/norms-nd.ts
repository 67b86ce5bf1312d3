import * as tf from '@tensorflow/tfjs-core';
import { numel, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, shapeError } from './check.js';
import { square, sub } from './elementwise.js';
import { kernel } from './kernel.js';
import { mean, sum } from './reduce.js';
import { reshape } from './shape.js';

/**
 * F.layer_norm and F.rms_norm over normalized_shape (the last dims), weight and bias optional.
 * nn.ts's layerNorm / rmsNorm are the last-dim forms with a weight that the built-in models use.
 */

/** Check normalized_shape against x's trailing dims and the affine tensors; [lead shape, H]. */
function normShape(x: Tensor, ns: readonly number[], op: string, affine: readonly (Tensor | null)[]): [number[], number] {
  const k = ns.length;
  if (k === 0 || k > x.ndim || ns.some((s, i) => s !== x.shape[x.ndim - k + i])) {
    throw shapeError(x, `${op}: normalized_shape ${fmt(ns)} does not match the last dims of the input ${fmt(x.shape)}`, `pass the input's last dims, e.g. ${fmt(x.shape.slice(-1))}`);
  }
  for (const a of affine) {
    if (a && (a.ndim !== k || a.shape.some((s, i) => s !== ns[i]))) throw shapeError(a, `${op}: weight/bias ${fmt(a.shape)} must have the normalized_shape ${fmt(ns)}`);
  }
  return [x.shape.slice(0, x.ndim - k), numel(ns)];
}

/**
 * F.layer_norm(x, normalized_shape, weight?, bias?, eps): over the last len(normalized_shape)
 * dims, y = (x − μ)/√(σ² + ε) · w + b (w, b optional). Backward, x̂ normalised, g = dy ⊙ w:
 * dx = (g − mean(g) − x̂·mean(g ⊙ x̂))/√(σ² + ε), dw = Σ dy ⊙ x̂, db = Σ dy (over the leading dims).
 */
export function layerNormNd(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const [lead, h] = normShape(x, normalizedShape, 'layer_norm', [weight, bias]);
  const x2 = reshape(x, [...lead, h]);
  const w = weight && reshape(weight, [h]);
  const b = bias && reshape(bias, [h]);
  const leadDims = lead.map((_, i) => i);
  const inputs = [x2, ...(w ? [w] : []), ...(b ? [b] : [])];
  const xhat = (t: tf.Tensor) => {
    const { mean: mu, variance } = tf.moments(t, -1, true);
    const inv = tf.rsqrt(tf.add(variance, eps));
    return { xh: tf.mul(tf.sub(t, mu), inv), inv };
  };
  const y = x.ctx.apply({
    name: 'layer_norm',
    inputs,
    shape: x2.shape,
    dtype: x.dtype,
    flops: 8 * x.size,
    key: `${eps}|${!!w}|${!!b}`,
    compute: () =>
      tf.tidy(() => {
        let out = xhat(x2.data!).xh;
        if (w) out = tf.mul(out, w.data!);
        return b ? tf.add(out, b.data!) : out;
      }),
    backward: (dy) => {
      const dx = kernel('layer_norm_grad', w ? [dy, x2, w] : [dy, x2], x2.shape, x.dtype, 12 * x.size, () =>
        tf.tidy(() => {
          const { xh, inv } = xhat(x2.data!);
          const g = w ? tf.mul(dy.data!, w.data!) : dy.data!;
          return tf.mul(inv, tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))));
        }), String(eps));
      const grads: (Tensor | null)[] = [dx];
      if (w) grads.push(kernel('layer_norm_grad_weight', [dy, x2], [h], w.dtype, 4 * x.size, () => tf.tidy(() => tf.reshape(tf.sum(tf.mul(dy.data!, xhat(x2.data!).xh), leadDims), [h])), String(eps)));
      if (b) grads.push(sum(dy, leadDims));
      return grads;
    },
  });
  return reshape(y, x.shape);
}

/** torch.finfo(dtype).eps: F.rms_norm's default ε. */
export function finfoEps(d: DType): number {
  return d === 'bfloat16' ? 2 ** -7 : d === 'float16' ? 2 ** -10 : 2 ** -23;
}

/**
 * F.rms_norm(x, normalized_shape, weight?, eps = finfo(dtype).eps): over the last
 * len(normalized_shape) dims, y = x / √(mean(x²) + ε) · w. Backward, r = 1/rms, x̂ = x·r,
 * g = dy ⊙ w: dx = r·(g − x̂·mean(g ⊙ x̂)), dw = Σ dy ⊙ x̂.
 */
export function rmsNormNd(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, eps?: number | null): Tensor {
  const e = eps ?? finfoEps(x.dtype);
  const [lead, h] = normShape(x, normalizedShape, 'rms_norm', [weight]);
  const x2 = reshape(x, [...lead, h]);
  const w = weight && reshape(weight, [h]);
  const r = (t: tf.Tensor) => tf.rsqrt(tf.add(tf.mean(tf.square(t), -1, true), e));
  const y = x.ctx.apply({
    name: 'rms_norm',
    inputs: w ? [x2, w] : [x2],
    shape: x2.shape,
    dtype: x.dtype,
    flops: 5 * x.size,
    key: `${e}|${!!w}`,
    compute: () =>
      tf.tidy(() => {
        const out = tf.mul(x2.data!, r(x2.data!));
        return w ? tf.mul(out, w.data!) : out;
      }),
    backward: (dy) => {
      const dx = kernel('rms_norm_grad', w ? [dy, x2, w] : [dy, x2], x2.shape, x.dtype, 8 * x.size, () =>
        tf.tidy(() => {
          const rr = r(x2.data!);
          const xh = tf.mul(x2.data!, rr);
          const g = w ? tf.mul(dy.data!, w.data!) : dy.data!;
          return tf.mul(rr, tf.sub(g, tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))));
        }), String(e));
      if (!w) return [dx];
      const dw = kernel('rms_norm_grad_weight', [dy, x2], [h], w.dtype, 4 * x.size, () => tf.tidy(() => tf.reshape(tf.sum(tf.mul(dy.data!, tf.mul(x2.data!, r(x2.data!))), lead.map((_, i) => i)), [h])), String(e));
      return [dx, dw];
    },
  });
  return reshape(y, x.shape);
}
