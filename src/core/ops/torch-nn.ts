import * as tf from '@tensorflow/tfjs-core';
import { isFloat, isInt, numel, type DType } from '../dtype.js';
import { deriveSeed, Rng } from '../rng.js';
import type { Tensor } from '../tensor.js';
import { fmt, shapeError } from './check.js';
import { gelu, square, sub } from './elementwise.js';
import { kernel } from './kernel.js';
import { mean, sum } from './reduce.js';
import { reshape, transpose } from './shape.js';

/**
 * PyTorch's torch.nn.functional pieces the core lacked: dropout, cross_entropy / nll_loss with
 * ignore_index and reductions, mse_loss, layer_norm / rms_norm over normalized_shape with an
 * optional weight and bias, and the exact (erf) GELU. nn.ts keeps the last-dim forms the
 * built-in models use.
 */

export type Reduction = 'mean' | 'sum' | 'none';

// ------------------------------------------------------------------ dropout

/**
 * F.dropout(x, p, training): zero each element with probability p and scale the rest by
 * 1/(1 − p); identity when not training or p = 0. The mask is drawn from a seed as ctx.randn
 * (`seed`, default the run's, and `key`: give each call its own key, e.g. a call counter, as
 * PyTorch's generator advances). It is a bool tensor (1 byte per element, as Korthikanti et al.
 * count it) that backward keeps alive: dx = mask · dy / (1 − p).
 */
export function dropout(x: Tensor, p: number, training = true, opts: { seed?: number; key?: string } = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw shapeError(x, `dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const ctx = x.ctx;
  const seed = deriveSeed(deriveSeed(opts.seed ?? ctx.world.seed, opts.key ?? ''), 'dropout');
  const n = x.size;
  const mask = ctx.tensor(() => {
    const r = new Rng(seed);
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) keep[i] = r.uniform() >= p ? 1 : 0;
    return keep;
  }, x.shape, 'bool', `dropout:${seed}:${p}`);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  return applyMask('dropout', x, mask, scale);
}

/** x · mask · scale; backward the same of dy (reads only the mask). */
function applyMask(name: string, x: Tensor, mask: Tensor, scale: number): Tensor {
  return x.ctx.apply({
    name,
    inputs: [x, mask],
    shape: x.shape,
    dtype: x.dtype,
    flops: 2 * x.size,
    key: String(scale),
    saves: [mask],
    compute: () => tf.tidy(() => tf.mul(x.data!, tf.mul(tf.cast(mask.data!, 'float32'), scale))),
    backward: (dy) => [applyMask(`${name}_grad`, dy, mask, scale), null],
  });
}

// ------------------------------------------------------------------ losses

interface ClassLossOpts {
  readonly ignoreIndex?: number;
  readonly reduction?: Reduction;
}

/**
 * Rows [M, C] and targets [M] from PyTorch's layouts: input [C] / target [], input [N, C] /
 * target [N], input [N, C, d1, ...] / target [N, d1, ...] (the class dim is dim 1).
 */
function classRows(input: Tensor, target: Tensor, op: string): { rows: Tensor; tgt: Tensor; outShape: number[] } {
  if (!isInt(target.dtype)) {
    throw shapeError(target, `${op}: targets must be class indices (int64), got ${target.describe()}`, 'pass class indices (probability targets are not supported)');
  }
  const n = input.ndim;
  const want = n === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (n === 0 || target.ndim !== want.length || target.shape.some((s, i) => s !== want[i])) {
    throw shapeError(input, `${op}: input ${fmt(input.shape)} needs targets of shape ${n === 0 ? '(none: input needs ≥ 1 dim)' : fmt(want)}, got ${fmt(target.shape)}`,
      'the class dim is dim 1 (input [N, C] with target [N], or [N, C, d...] with [N, d...]); for logits [B, S, C] pass logits.view(-1, C) and targets.view(-1), or logits.transpose(1, 2)');
  }
  const c = n === 1 ? input.shape[0] : input.shape[1];
  let rows: Tensor;
  if (n === 1) rows = reshape(input, [1, c]);
  else if (n === 2) rows = input;
  else rows = reshape(transpose(input, [0, ...input.shape.slice(2).map((_, i) => i + 2), 1]), [-1, c]);
  const tgt = target.ndim === 1 ? target : reshape(target, [numel(target.shape)]);
  return { rows, tgt, outShape: want };
}

/**
 * The loss of each row and its gradient: cross-entropy reads log-softmax of the rows, nll the
 * rows themselves (log-probabilities). Rows whose target is ignoreIndex count 0 and are left
 * out of the mean's denominator (all ignored: NaN, as PyTorch).
 */
function classLoss(kind: 'cross_entropy' | 'nll_loss', input: Tensor, target: Tensor, opts: ClassLossOpts): Tensor {
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  const { rows, tgt, outShape } = classRows(input, target, kind);
  const [m, c] = rows.shape;
  const key = `${ignore}|${reduction}`;
  /** valid [M] (float 0/1), the targets made safe for oneHot [M], the one-hot [M, C] (inside a tidy). */
  const picks = (check: boolean) => {
    const t = tgt.data!;
    if (check) {
      const v = t.dataSync() as Int32Array;
      for (let i = 0; i < v.length; i++) {
        if (v[i] !== ignore && (v[i] < 0 || v[i] >= c)) throw shapeError(input, `${kind}: target ${v[i]} is out of range for ${c} classes`, `targets are class indices in [0, ${c - 1}] or ignore_index (${ignore})`);
      }
    }
    const valid = tf.notEqual(t, tf.scalar(ignore, 'int32'));
    const oneHot = tf.oneHot(tf.where(valid, t, tf.zerosLike(t)) as tf.Tensor1D, c);
    return { valid: tf.cast(valid, 'float32'), oneHot };
  };
  const logp = (x: tf.Tensor) => (kind === 'cross_entropy' ? tf.logSoftmax(x) : x);
  const shape = reduction === 'none' ? [m] : [];
  const out = rows.ctx.apply({
    name: kind,
    inputs: [rows, tgt],
    shape,
    dtype: rows.dtype,
    flops: (kind === 'cross_entropy' ? 6 : 2) * rows.size,
    key,
    compute: () =>
      tf.tidy(() => {
        const { valid, oneHot } = picks(true);
        const each = tf.mul(tf.neg(tf.sum(tf.mul(logp(rows.data!), oneHot), -1)), valid); // [M]
        if (reduction === 'none') return each;
        const total = tf.sum(each);
        return reduction === 'sum' ? total : tf.div(total, tf.sum(valid));
      }),
    backward: (dy) => [
      kernel(`${kind}_grad`, [dy, rows, tgt], rows.shape, rows.dtype, 4 * rows.size, () =>
        tf.tidy(() => {
          const { valid, oneHot } = picks(false);
          // d loss_i / d row_i: softmax − onehot (cross-entropy) or −onehot (nll), for valid rows
          const d = kind === 'cross_entropy' ? tf.sub(tf.softmax(rows.data!), oneHot) : tf.neg(oneHot);
          const g = reduction === 'none' ? dy.data! : reduction === 'sum' ? tf.mul(dy.data!, valid) : tf.div(tf.mul(dy.data!, valid), tf.sum(valid));
          return tf.mul(d, tf.reshape(reduction === 'none' ? tf.mul(g, valid) : g, [m, 1]));
        }), key),
      null,
    ],
  });
  return reduction === 'none' && outShape.length !== 1 ? reshape(out, outShape) : out;
}

/**
 * F.cross_entropy(input, target, ignore_index=-100, reduction='mean') with class-index targets:
 * loss_i = −log softmax(input_i)[target_i]; input [N, C] / target [N], [N, C, d...] / [N, d...]
 * or [C] / []. 'mean' divides by the number of non-ignored targets.
 * Backward: (softmax − onehot) · g per row, g = dy / count, dy, or dy_i.
 */
export function crossEntropyLoss(input: Tensor, target: Tensor, opts: ClassLossOpts = {}): Tensor {
  return classLoss('cross_entropy', input, target, opts);
}

/** F.nll_loss(log_probs, target, ignore_index=-100, reduction='mean'): loss_i = −input_i[target_i]; layouts as crossEntropyLoss. */
export function nllLoss(input: Tensor, target: Tensor, opts: ClassLossOpts = {}): Tensor {
  return classLoss('nll_loss', input, target, opts);
}

/** F.mse_loss(input, target, reduction='mean'): (input − target)² averaged, summed or per element (broadcast). */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  const sq = square(sub(input, target));
  return reduction === 'none' ? sq : reduction === 'sum' ? sum(sq) : mean(sq);
}

// ------------------------------------------------------------------ normalisation

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

// ------------------------------------------------------------------ activations

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
