import * as tf from '@tensorflow/tfjs-core';
import { preciseMeanData } from '../core/ops/precise-sum.js';
import { matmul, reshape, transposeLast } from '../core/ops/index.js';
import { shapeError } from '../core/ops/check.js';
import { scatterAddRows } from '../core/ops/nn.js';
import type { Tensor } from '../core/tensor.js';
import { Module } from '../models/nn/module.js';
import { copyToRegion, custom, reduceFromRegion } from './mappings.js';

/**
 * Vocab-parallel embedding (Megatron-LM VocabParallelEmbedding).
 *
 *   E [V, H] split along dim 0 (vocab rows): rank i holds rows [i·V/tp, (i+1)·V/tp).
 *   Each rank looks up the ids that fall in its rows (others give zero rows); the rows are summed.
 *   ids [B, S] → [B, S, H]
 *   fwd: all-reduce of the partial lookups (g)
 *   bwd: none (each rank's table gradient takes the rows it owns)
 */
export class VocabParallelEmbedding extends Module {
  weight: Tensor; // [V/tp, H]
  readonly axis: string;

  constructor(weight: Tensor, opts: { axis?: string } = {}) {
    super();
    this.weight = weight;
    this.axis = opts.axis ?? 'tp';
  }

  get vocabStart(): number {
    const p = this.weight.placement;
    if (p && p.kind === 'shard' && p.dim === 0) return p.ranges[0][0];
    return this.weight.ctx.coord(this.axis) * this.weight.shape[0];
  }

  async forward(ids: Tensor): Promise<Tensor> {
    const ctx = ids.ctx;
    const [vLocal, h] = this.weight.shape;
    const start = this.vocabStart;
    const w = this.weight;
    const partial = ctx.apply({
      name: 'vocab_parallel_lookup',
      inputs: [w, ids],
      saves: [ids], // the scatter-add reads the ids only
      shape: [...ids.shape, h],
      dtype: w.dtype,
      flops: 0,
      bytes: ids.size * h * 4,
      compute: () =>
        tf.tidy(() => {
          const flat = tf.reshape(ids.data!, [-1]);
          const inRange = tf.logicalAnd(tf.greaterEqual(flat, start), tf.less(flat, start + vLocal));
          const local = tf.where(inRange, tf.sub(flat, tf.scalar(start, 'int32')), tf.zerosLike(flat));
          const rows = tf.mul(tf.gather(w.data!, local), tf.expandDims(tf.cast(inRange, 'float32'), 1));
          return tf.reshape(rows, [...ids.shape, h]);
        }),
      backward: (dy) => [
        ctx.apply({
          name: 'vocab_parallel_lookup_grad',
          inputs: [dy, ids],
          shape: [vLocal, h],
          dtype: w.dtype,
          flops: dy.size,
          compute: () => scatterAddRows(dy.data!, ids.data!, vLocal, start), // rows outside this shard are dropped
        }),
        null,
      ],
    });
    return reduceFromRegion(partial, this.axis); // [B, S, H]
  }
}

/**
 * The LM head tied to a vocab-parallel embedding: logits_i = X·E_iᵀ  [B, S, V/tp].
 *   fwd: none (the logits stay split along the vocab; use vocabParallelCrossEntropy)
 *   bwd: all-reduce of dX (f), E_i's gradient adds to the embedding's.
 */
export class ParallelLMHead extends Module {
  readonly embedding: VocabParallelEmbedding;
  readonly axis: string;

  constructor(embedding: VocabParallelEmbedding, opts: { axis?: string } = {}) {
    super();
    this.embedding = embedding;
    this.axis = opts.axis ?? embedding.axis;
  }

  override children(): [string, Module][] {
    return []; // the embedding is owned by its own path
  }

  async forward(x: Tensor): Promise<Tensor> {
    const xin = copyToRegion(x, this.axis); // [B, S, H]
    return matmul(xin, transposeLast(this.embedding.weight)); // [B, S, V/tp]
  }
}

/**
 * Cross-entropy over vocab-split logits (Megatron-LM vocab_parallel_cross_entropy), mean over N:
 *   m = max_v z (all-reduce max), s = Σ_v exp(z − m) (all-reduce sum),
 *   z_t = the target's logit, found on the rank that owns it (all-reduce sum),
 *   L = mean_n (log s − (z_t − m)).
 *   logits [N, V/tp], targets [N] → scalar.
 *   fwd: three all-reduces of [N] over tp   bwd: none — dz_i = (softmax_i − onehot_i) / N, local.
 * Kept for the backward, as Megatron keeps it: exp(z − m) in fp32 [N, V/tp] (16-bit logits are
 * upcast), not the logits themselves.
 */
export async function vocabParallelCrossEntropy(logits: Tensor, targets: Tensor, axis = 'tp'): Promise<Tensor> {
  if (logits.ndim !== 2 || targets.ndim !== 1 || targets.shape[0] !== logits.shape[0]) {
    throw shapeError(logits, `vocabParallelCrossEntropy wants logits [N, V/tp] and targets [N], got [${logits.shape}] and [${targets.shape}]`);
  }
  const ctx = logits.ctx;
  const comm = ctx.comm;
  const [n, vLocal] = logits.shape;
  const start = ctx.coord(axis) * vLocal;
  let m: Tensor | undefined; // [N] global row max
  let s: Tensor | undefined; // [N] global Σ exp(z − m)
  let kept: Tensor = logits; // what the backward reads: Megatron's fp32 exp_logits
  const out = await custom(
    ctx,
    [logits],
    async () => {
      const rowMax = ctx.apply({ name: 'vocab_max', inputs: [logits], shape: [n], dtype: logits.dtype, flops: logits.size, compute: () => tf.max(logits.data!, -1) });
      m = await comm.allReduce(rowMax, { axis, op: 'max', label: 'vocab_parallel_ce.max' });
      const sumExp = ctx.apply({
        name: 'vocab_sum_exp',
        inputs: [logits, m],
        shape: [n],
        dtype: logits.dtype,
        flops: 3 * logits.size,
        compute: () => tf.sum(tf.exp(tf.sub(logits.data!, tf.expandDims(m!.data!, 1))), -1),
      });
      s = await comm.allReduce(sumExp, { axis, label: 'vocab_parallel_ce.sum_exp' });
      // Megatron upcasts 16-bit logits and keeps exp(z − m) in fp32 for the backward (not the logits)
      if (logits.dtype !== 'float32') kept = ctx.aux(logits.shape, 'float32'); // [N, V/tp]
      const picked = ctx.apply({
        name: 'vocab_pick_target',
        inputs: [logits, targets],
        shape: [n],
        dtype: logits.dtype,
        flops: logits.size,
        compute: () =>
          tf.tidy(() => {
            const t = targets.data!;
            const inRange = tf.logicalAnd(tf.greaterEqual(t, start), tf.less(t, start + vLocal));
            const local = tf.where(inRange, tf.sub(t, tf.scalar(start, 'int32')), tf.zerosLike(t));
            const z = tf.sum(tf.mul(logits.data!, tf.oneHot(local as tf.Tensor1D, vLocal)), -1);
            return tf.mul(z, tf.cast(inRange, 'float32'));
          }),
      });
      const zt = await comm.allReduce(picked, { axis, label: 'vocab_parallel_ce.target_logit' });
      const loss = ctx.apply({
        name: 'vocab_ce_loss',
        inputs: [s, zt, m],
        shape: [],
        dtype: logits.dtype,
        flops: 4 * n,
        compute: () => tf.tidy(() => { const each = tf.sub(tf.log(s!.data!), tf.sub(zt.data!, m!.data!)); return preciseMeanData(each, each.shape.map((_, i) => i), false); }),
      });
      return loss;
    },
    (dy) => {
      // softmax_i − onehot_i, over N, from the forward's global max and sum
      const mm = m!;
      const ss = s!;
      return [
        ctx.apply({
          name: 'vocab_ce_grad',
          inputs: [dy, kept, mm, ss, targets],
          shape: logits.shape,
          dtype: logits.dtype,
          flops: 5 * logits.size,
          compute: () =>
            tf.tidy(() => {
              const p = tf.div(tf.exp(tf.sub(logits.data!, tf.expandDims(mm.data!, 1))), tf.expandDims(ss.data!, 1));
              const t = targets.data!;
              const inRange = tf.logicalAnd(tf.greaterEqual(t, start), tf.less(t, start + vLocal));
              const local = tf.where(inRange, tf.sub(t, tf.scalar(start, 'int32')), tf.zerosLike(t));
              const onehot = tf.mul(tf.oneHot(local as tf.Tensor1D, vLocal), tf.expandDims(tf.cast(inRange, 'float32'), 1));
              return tf.mul(tf.div(tf.sub(p, onehot), n), dy.data!);
            }),
        }),
      ];
    },
    'vocab_parallel_cross_entropy',
  );
  if (out.node) out.node = { ...out.node, saved: [kept, targets] };
  return out;
}

/** logits [B, S, V(/tp)] → [B·S, V(/tp)] */
export function flattenLogits(logits: Tensor): Tensor {
  return reshape(logits, [-1, logits.shape[logits.ndim - 1]]);
}
