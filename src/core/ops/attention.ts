import * as tf from '@tensorflow/tfjs-core';
import { flashAttentionTimeUs } from '../cost/attention.js';
import { bytesOf } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { fmt, shapeError } from './check.js';
import { narrow } from './shape.js';

/**
 * FlashAttention (Dao et al. 2022) as one fused op, in its BSHD layout, with grouped-query heads:
 *   q [B, S, nh, hd], k, v [B, S, nkv, hd]  →  O [B, S, nh, hd]
 *   O_h = softmax(q_h·k_gᵀ·scale + M)·v_g,  g = ⌊h·nkv/nh⌋,  M_ij = −∞ for j > i when causal
 * It keeps for its backward q, k, v, O and the rows' log-sum-exp L [B, nh, S] (fp32): no S×S
 * tensor is ever stored; the backward recomputes the scores block by block.
 * FLOPs, counted as Megatron's MFU and the planner count them (the causal half not taken off):
 *   forward 4·B·S²·nh·hd (QKᵀ and P·V); backward 10·B·S²·nh·hd (QKᵀ again, then dV, dP, dQ, dK).
 * HBM bytes: forward reads q, k, v and writes O, L; backward reads q, k, v, O, dO, L and writes
 * dq, dk, dv (one packed buffer [B, S, nh + 2·nkv, hd], as FlashAttention's dqkv).
 * Time: the cost model's flashAttentionTimeUs (../cost/attention.ts: causal blocks skipped, the
 * kernel's efficiency fitted to measured SDPA), the planner's timing of the attention core.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: { causal?: boolean; scale?: number } = {}): Tensor {
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) throw shapeError(q, `scaledDotProductAttention takes q, k, v as [B, S, heads, hd], got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`, 'reshape [B, S, heads·hd] to [B, S, heads, hd]');
  const [b, s, nh, hd] = q.shape;
  const nkv = k.shape[2];
  if (k.shape.some((d, i) => d !== v.shape[i]) || k.shape[0] !== b || k.shape[1] !== s || k.shape[3] !== hd) {
    throw shapeError(k, `scaledDotProductAttention: k ${fmt(k.shape)} and v ${fmt(v.shape)} must be [${b}, ${s}, nkv, ${hd}] for q ${fmt(q.shape)}`);
  }
  if (nh % nkv !== 0) throw shapeError(q, `scaledDotProductAttention: ${nh} query heads do not share ${nkv} kv heads evenly`, 'make the query head count a multiple of the kv head count');
  const causal = opts.causal ?? true;
  const scale = opts.scale ?? 1 / Math.sqrt(hd);
  const ctx = q.ctx;
  const core = 4 * b * s * s * nh * hd; // QKᵀ and P·V
  // timed as the fused kernel it is, as the planner times it (causal blocks skipped, its fitted efficiency)
  const kernel = { batch: b * nh, sq: s, skv: s, d: hd, causal };
  const lseBytes = bytesOf(b * nh * s, 'float32');
  const attend = (qd: tf.Tensor, kd: tf.Tensor, vd: tf.Tensor) => attendTf(qd, kd, vd, causal, scale);
  let lse: Tensor | null = null;
  const out: Tensor = ctx.apply({
    name: 'flash_attention',
    inputs: [q, k, v],
    shape: q.shape,
    dtype: q.dtype,
    flops: core,
    bytes: bytesOf(q.size + k.size + v.size + q.size, q.dtype) + lseBytes,
    key: `${causal},${scale}`,
    timeUs: (hw) => flashAttentionTimeUs(kernel, 'forward', hw),
    compute: () => attend(q.data!, k.data!, v.data!),
    backward: (dy) => {
      const packed = ctx.apply({
        name: 'flash_attention_backward',
        inputs: [dy, q, k, v],
        shape: [b, s, nh + 2 * nkv, hd],
        dtype: q.dtype,
        flops: 2.5 * core,
        bytes: bytesOf(3 * q.size + 2 * k.size + 2 * v.size + q.size, q.dtype) + lseBytes, // + O read, dq|dk|dv written
        key: `${causal},${scale}`,
        timeUs: (hw) => flashAttentionTimeUs(kernel, 'backward', hw),
        compute: () =>
          tf.tidy(() => {
            const [dq, dk, dv] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => attend(a, c, d))([q.data!, k.data!, v.data!], dy.data!);
            return tf.concat([dq, dk, dv], 2);
          }),
      });
      return [narrow(packed, 2, 0, nh), narrow(packed, 2, nh, nkv), narrow(packed, 2, nh + nkv, nkv)]; // views of dqkv
    },
  });
  lse = ctx.aux([b, nh, s], 'float32'); // [B, nh, S]
  if (out.node) out.node = { ...out.node, saved: [q, k, v, out, lse] };
  return out;
}

/**
 * softmax(q·kᵀ·scale + M)·v in TensorFlow.js, BSHD (numeric mode). The g = nh/nkv query heads
 * that share a kv head are folded into the rows of one matmul ([B, nkv, g·S, hd]), so no kv
 * head is copied (query head h reads kv head ⌊h/g⌋, HF repeat_kv).
 */
function attendTf(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, causal: boolean, scale: number): tf.Tensor {
  return tf.tidy(() => {
    const [b, s, nh, hd] = q.shape as number[];
    const nkv = k.shape[2] as number;
    const g = nh / nkv;
    const heads = (t: tf.Tensor) => tf.transpose(t, [0, 2, 1, 3]); // [B, n, S, hd]
    const qg = tf.reshape(heads(q), [b, nkv, g * s, hd]); // [B, nkv, g·S, hd]
    let scores = tf.mul(tf.matMul(qg, heads(k), false, true), scale); // [B, nkv, g·S, S]
    if (causal) {
      const band = tf.linalg.bandPart(tf.ones([s, s]), -1, 0);
      const keep = g === 1 ? band : tf.tile(band, [g, 1]); // [g·S, S]
      scores = tf.add(tf.mul(scores, keep), tf.mul(tf.sub(1, keep), -1e9));
    }
    const o = tf.reshape(tf.matMul(tf.softmax(scores), heads(v)), [b, nh, s, hd]); // [B, nh, S, hd]
    return tf.transpose(o, [0, 2, 1, 3]); // [B, S, nh, hd]
  });
}
