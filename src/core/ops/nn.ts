import * as tf from '@tensorflow/tfjs-core';
import { preciseMeanData } from './precise-sum.js';
import type { Tensor } from '../tensor.js';
import { fmt, shapeError } from './check.js';
import { mul, sub } from './elementwise.js';
import { sum, broadcastTo } from './reduce.js';

/**
 * Softmax over the last dim, stabilised by the row max.
 * Backward: dx = y ⊙ (dy − Σ(dy ⊙ y)).
 */
export function softmax(x: Tensor): Tensor {
  const y: Tensor = x.ctx.apply({
    name: 'softmax',
    key: '',
    saves: 'output',
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: 5 * x.size,
    compute: () => tf.softmax(x.data!),
    backward: (dy) => {
      const s = sum(mul(dy, y), -1, true);
      return [mul(y, sub(dy, s))];
    },
  });
  return y;
}

/**
 * LayerNorm over the last dim: y = (x − μ)/√(σ² + ε) · γ + β.
 * Backward (per row, n = dim, x̂ normalised): dx = (1/σ')(g − mean(g) − x̂·mean(g ⊙ x̂)), g = dy ⊙ γ.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | null, eps = 1e-5): Tensor {
  const h = x.shape[x.ndim - 1];
  if (gamma.ndim !== 1 || gamma.shape[0] !== h) throw shapeError(x, `layerNorm: weight ${fmt(gamma.shape)} does not match the last dim ${h} of ${fmt(x.shape)}`);
  const inputs = beta ? [x, gamma, beta] : [x, gamma];
  return x.ctx.apply({
    name: 'layer_norm',
    key: `${eps}`,
    inputs,
    saves: [x, gamma], // dx and dγ read x and γ, never β
    shape: x.shape,
    dtype: x.dtype,
    flops: 8 * x.size,
    compute: () =>
      tf.tidy(() => {
        const { mean, variance } = tf.moments(x.data!, -1, true);
        const y = tf.mul(tf.div(tf.sub(x.data!, mean), tf.sqrt(tf.add(variance, eps))), gamma.data!);
        return beta ? tf.add(y, beta.data!) : y;
      }),
    backward: (dy) => {
      const lead = x.shape.slice(0, -1);
      const ctx = x.ctx;
      const dx = ctx.apply({
        name: 'layer_norm_grad',
        key: `${eps}`,
        inputs: [dy, x, gamma],
        shape: x.shape,
        dtype: x.dtype,
        flops: 12 * x.size,
        compute: () =>
          tf.tidy(() => {
            const { mean, variance } = tf.moments(x.data!, -1, true);
            const inv = tf.rsqrt(tf.add(variance, eps));
            const xhat = tf.mul(tf.sub(x.data!, mean), inv);
            const g = tf.mul(dy.data!, gamma.data!);
            const mg = tf.mean(g, -1, true);
            const mgx = tf.mean(tf.mul(g, xhat), -1, true);
            return tf.mul(inv, tf.sub(tf.sub(g, mg), tf.mul(xhat, mgx)));
          }),
      });
      const dgamma = ctx.apply({
        name: 'layer_norm_grad_weight',
        key: `${eps}`,
        inputs: [dy, x],
        shape: [h],
        dtype: gamma.dtype,
        flops: 4 * x.size,
        compute: () =>
          tf.tidy(() => {
            const { mean, variance } = tf.moments(x.data!, -1, true);
            const xhat = tf.mul(tf.sub(x.data!, mean), tf.rsqrt(tf.add(variance, eps)));
            return tf.reshape(tf.sum(tf.mul(dy.data!, xhat), lead.map((_, i) => i)), [h]);
          }),
      });
      const grads: (Tensor | null)[] = [dx, dgamma];
      if (beta) grads.push(sum(dy, lead.map((_, i) => i)));
      return grads;
    },
  });
}

/**
 * RMSNorm over the last dim (Llama): y = x / √(mean(x²) + ε) · γ.
 * Backward: dx = r·(g − x̂·mean(g ⊙ x̂)), r = 1/rms, x̂ = x·r, g = dy ⊙ γ.
 */
export function rmsNorm(x: Tensor, gamma: Tensor, eps = 1e-6): Tensor {
  const h = x.shape[x.ndim - 1];
  if (gamma.ndim !== 1 || gamma.shape[0] !== h) throw shapeError(x, `rmsNorm: weight ${fmt(gamma.shape)} does not match the last dim ${h} of ${fmt(x.shape)}`);
  const lead = x.shape.slice(0, -1);
  return x.ctx.apply({
    name: 'rms_norm',
    key: `${eps}`,
    inputs: [x, gamma],
    shape: x.shape,
    dtype: x.dtype,
    flops: 5 * x.size,
    compute: () => tf.tidy(() => tf.mul(tf.mul(x.data!, tf.rsqrt(tf.add(tf.mean(tf.square(x.data!), -1, true), eps))), gamma.data!)),
    backward: (dy) => {
      const ctx = x.ctx;
      const dx = ctx.apply({
        name: 'rms_norm_grad',
        key: `${eps}`,
        inputs: [dy, x, gamma],
        shape: x.shape,
        dtype: x.dtype,
        flops: 8 * x.size,
        compute: () =>
          tf.tidy(() => {
            const r = tf.rsqrt(tf.add(tf.mean(tf.square(x.data!), -1, true), eps));
            const xhat = tf.mul(x.data!, r);
            const g = tf.mul(dy.data!, gamma.data!);
            return tf.mul(r, tf.sub(g, tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true))));
          }),
      });
      const dgamma = ctx.apply({
        name: 'rms_norm_grad_weight',
        key: `${eps}`,
        inputs: [dy, x],
        shape: [h],
        dtype: gamma.dtype,
        flops: 4 * x.size,
        compute: () =>
          tf.tidy(() => {
            const r = tf.rsqrt(tf.add(tf.mean(tf.square(x.data!), -1, true), eps));
            return tf.reshape(tf.sum(tf.mul(dy.data!, tf.mul(x.data!, r)), lead.map((_, i) => i)), [h]);
          }),
      });
      return [dx, dgamma];
    },
  });
}

/**
 * Embedding lookup: table [V, H], ids [...] (int32) → [..., H].
 * Backward: scatter-add dy rows into a [V, H] gradient (unsorted segment sum).
 */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  if (table.ndim !== 2) throw shapeError(table, `embedding table must be [V, H], got ${fmt(table.shape)}`);
  const [v, h] = table.shape;
  return table.ctx.apply({
    name: 'embedding',
    key: '',
    inputs: [table, ids],
    saves: [ids], // the scatter-add reads the ids only
    shape: [...ids.shape, h],
    dtype: table.dtype,
    flops: 0,
    bytes: (ids.size * h + ids.size) * 4,
    compute: () => lookupRows(table.data!, ids.data!),
    backward: (dy) => [
      table.ctx.apply({
        name: 'embedding_grad',
        key: '',
        inputs: [dy, ids],
        shape: [v, h],
        dtype: table.dtype,
        flops: dy.size,
        // scatterND sums rows of repeated ids; unsortedSegmentSum has no WASM kernel
        compute: () => tf.tidy(() => tf.scatterND(tf.reshape(ids.data!, [-1, 1]), tf.reshape(dy.data!, [-1, h]), [v, h])),
      }),
      null,
    ],
  });
}

/**
 * table[ids] with its gradient declared through tf.customGrad (a scatter-add), so TensorFlow.js
 * autodiff of a replayed forward works on the WASM backend, whose gather gradient would need the
 * missing UnsortedSegmentSum kernel. ids [...] → [..., H]
 */
function lookupRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const [v, h] = table.shape;
  const f = tf.customGrad(((t: tf.Tensor) => {
    return {
      value: tf.reshape(tf.gather(t, tf.reshape(ids, [-1])), [...ids.shape, h]),
      gradFunc: (dy: tf.Tensor) => tf.scatterND(tf.reshape(ids, [-1, 1]), tf.reshape(dy, [-1, h]), [v, h]),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(table);
}

/**
 * out[ids[n] − offset] += dy[n] for every n whose id falls in [offset, offset + rows): the
 * gradient of a row lookup (unsorted segment sum; done in JS because the WASM backend has no
 * UnsortedSegmentSum kernel). dy [..., H], ids [...] → [rows, H].
 */
export function scatterAddRows(dy: tf.Tensor, ids: tf.Tensor, rows: number, offset: number): tf.Tensor {
  const h = dy.shape[dy.shape.length - 1];
  const g = dy.dataSync() as Float32Array;
  const id = ids.dataSync() as Int32Array;
  const out = new Float32Array(rows * h);
  for (let n = 0; n < id.length; n++) {
    const r = id[n] - offset;
    if (r < 0 || r >= rows) continue;
    const src = n * h;
    const dst = r * h;
    for (let k = 0; k < h; k++) out[dst + k] += g[src + k];
  }
  return tf.tensor(out, [rows, h]);
}

/**
 * Mean cross-entropy of logits [N, V] against int32 targets [N]:
 *   L = −(1/N) Σ log softmax(logits)[n, target_n].
 * Backward: dlogits = (softmax − onehot) / N · dL.
 */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  if (logits.ndim !== 2 || targets.ndim !== 1 || targets.shape[0] !== logits.shape[0]) {
    throw shapeError(logits, `crossEntropy wants logits [N, V] and targets [N], got ${fmt(logits.shape)} and ${fmt(targets.shape)}`, 'reshape logits to [B·S, V] and targets to [B·S]');
  }
  const [n, v] = logits.shape;
  return logits.ctx.apply({
    name: 'cross_entropy',
    key: '',
    inputs: [logits, targets],
    shape: [],
    dtype: logits.dtype,
    flops: 6 * logits.size,
    // the mean over N rows accumulates in float64 (precise-sum.ts): the loss is the same on every backend
    compute: () => tf.tidy(() => tf.neg(preciseMeanData(tf.sum(tf.mul(tf.logSoftmax(logits.data!), tf.oneHot(targets.data! as tf.Tensor1D, v)), -1), [0], false))),
    backward: (dy) => [
      logits.ctx.apply({
        name: 'cross_entropy_grad',
        key: '',
        inputs: [dy, logits, targets],
        shape: logits.shape,
        dtype: logits.dtype,
        flops: 4 * logits.size,
        compute: () => tf.tidy(() => tf.mul(tf.div(tf.sub(tf.softmax(logits.data!), tf.oneHot(targets.data! as tf.Tensor1D, v)), n), dy.data!)),
      }),
      null,
    ],
  });
}

/** Causal mask for attention scores [..., S, S]: positions j > i get −1e9 (no gradient through the mask). */
export function causalMask(scores: Tensor): Tensor {
  const s = scores.shape[scores.ndim - 1];
  return scores.ctx.apply({
    name: 'causal_mask',
    key: '',
    saves: 'none',
    inputs: [scores],
    shape: scores.shape,
    dtype: scores.dtype,
    flops: scores.size,
    compute: () =>
      tf.tidy(() => {
        const keep = tf.linalg.bandPart(tf.ones([s, s]), -1, 0);
        return tf.add(tf.mul(scores.data!, keep), tf.mul(tf.sub(1, keep), -1e9));
      }),
    backward: (dy) => [
      dy.ctx.apply({
        name: 'causal_mask_grad',
        key: '',
        inputs: [dy],
        shape: dy.shape,
        dtype: dy.dtype,
        flops: dy.size,
        compute: () => tf.tidy(() => tf.mul(dy.data!, tf.linalg.bandPart(tf.ones([s, s]), -1, 0))),
      }),
    ],
  });
}

export { broadcastTo };
