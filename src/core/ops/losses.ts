import * as tf from '@tensorflow/tfjs-core';
import { preciseSumData } from './precise-sum.js';
import { isInt, numel } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, shapeError } from './check.js';
import { square, sub } from './elementwise.js';
import { kernel } from './kernel.js';
import { mean, sum } from './reduce.js';
import { reshape, transpose } from './shape.js';

/**
 * PyTorch's losses: cross_entropy and nll_loss over class-index targets (ignore_index,
 * reduction 'mean' | 'sum' | 'none', PyTorch's layouts with the class dim at 1) and mse_loss.
 * nn.ts's crossEntropy is the [N, V] mean the built-in models use.
 */

export type Reduction = 'mean' | 'sum' | 'none';

export interface ClassLossOpts {
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
        const total = preciseSumData(each, [0], false); // float64 accumulation (precise-sum.ts)
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
