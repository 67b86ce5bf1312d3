import { causalMask, dropout, matmul, reshape, scale, scaledDotProductAttention, softmax, transpose } from '../core/ops/index.js';
import { fmt, shapeError } from '../core/ops/check.js';
import { ConfigError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { recomputeOnBackward } from '../core/checkpoint.js';

/**
 * Causal self-attention shared by GPT-2 and Llama, with grouped-query attention (GQA):
 *   A_h = softmax(q_h·k_{g(h)}ᵀ/√hd + M)·v_{g(h)},  g(h) = ⌊h / (nh/nkv)⌋,  M_ij = −∞ for j > i
 * (HF `repeat_kv`: query head h reads kv head ⌊h·nkv/nh⌋; nkv = nh is ordinary multi-head
 * attention). Head counts are LOCAL: they come from the tensor widths (width / hd), never from a
 * config, so the same code runs when a tensor-parallel plan leaves each rank nh/tp query heads
 * and nkv/tp kv heads.
 */

/** The number of heads in `x` [B, S, n·hd]: its width / hd, checked. */
export function headCount(x: Tensor, headDim: number, what: string): number {
  if (!Number.isInteger(headDim) || headDim < 1) throw new ConfigError(`attention head dim must be a positive integer, got ${headDim}`, 'set hidden / nHead (or headDim) to a whole number');
  if (x.ndim !== 3) throw shapeError(x, `${what} must be [B, S, heads·hd], got ${fmt(x.shape)}`, 'pass the projection output before splitting heads');
  const width = x.shape[2];
  if (width % headDim !== 0) {
    throw shapeError(x, `${what} width ${width} is not a multiple of the head dim ${headDim} (${fmt(x.shape)})`,
      'a tensor-parallel split must give each rank whole heads: make the head count divisible by tp');
  }
  return width / headDim;
}

/** [B, S, n·hd] → [B, n, S, hd]. */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, s, w] = x.shape;
  const x4 = reshape(x, [b, s, heads, w / heads]); // [B, S, nh, hd]
  return transpose(x4, [0, 2, 1, 3]); // [B, nh, S, hd]
}

/** [B, n, S, hd] → [B, S, n·hd]. */
export function mergeHeads(x: Tensor): Tensor {
  const [b, n, s, hd] = x.shape;
  const t = transpose(x, [0, 2, 1, 3]); // [B, S, nh, hd]
  return reshape(t, [b, s, n * hd]); // [B, S, nh·hd]
}

/**
 * softmax(q·kᵀ/√hd + causal mask)·v with GQA, unfused (each op kept for its backward), with an
 * optional dropout on the probabilities.
 *   q [B, S, nh·hd], k, v [B, S, nkv·hd] → [B, S, nh·hd]
 * The nh/nkv query heads that share a kv head are folded into the row dim of one matmul
 * ([B, nkv, (nh/nkv)·S, hd] · [B, nkv, hd, S]), so no kv head is copied.
 */
/**
 * The attention kernel: "flash" (FlashAttention, one fused op that keeps no S×S tensor; the
 * default, as the planner assumes and Megatron/torchtitan run) or "unfused" (QKᵀ → scale → mask →
 * softmax → dropout → ·V as separate ops, each kept for its backward: Korthikanti's 5as²b).
 */
export type AttentionKernel = 'flash' | 'unfused';

export interface AttentionOptions {
  readonly kernel?: AttentionKernel;
  /** Dropout on the attention probabilities (unfused only keeps a mask for it; meta mode only). */
  readonly dropout?: number;
  /**
   * Selective recomputation (Korthikanti et al. 2022 §5): keep the unfused core's inputs q, k, v
   * only and recompute QKᵀ → softmax → dropout → ·V in the backward. FlashAttention already
   * recomputes its scores, so there it changes nothing.
   */
  readonly recomputeCore?: boolean;
}

/** Check a model config's attention kernel (once, where the config is built). */
export function attentionKernelOf(model: string, v: unknown): AttentionKernel {
  if (v === undefined) return 'flash';
  if (v !== 'flash' && v !== 'unfused') throw new ConfigError(`${model} attention must be "flash" or "unfused", got ${JSON.stringify(v)}`, 'set attention: "flash" (FlashAttention) or "unfused" (separate QKᵀ, softmax, ·V ops)');
  return v;
}

/** Causal self-attention with the chosen kernel; q [B, S, nh·hd], k, v [B, S, nkv·hd] → [B, S, nh·hd]. */
export function selfAttention(q: Tensor, k: Tensor, v: Tensor, headDim: number, opts: AttentionOptions = {}): Tensor {
  if ((opts.kernel ?? 'flash') === 'unfused') return causalSelfAttention(q, k, v, headDim, opts.dropout ?? 0, opts.recomputeCore ?? false);
  return flashSelfAttention(q, k, v, headDim);
}

/**
 * FlashAttention over [B, S, n·hd] projections: head splits are views (BSHD layout), so the
 * output is the c_proj input's memory and q, k, v stay views of their projection outputs.
 * (Attention dropout inside FlashAttention keeps only an RNG state: no mask bytes.)
 */
export function flashSelfAttention(q: Tensor, k: Tensor, v: Tensor, headDim: number): Tensor {
  const nh = headCount(q, headDim, 'attention q');
  const nkv = headCount(k, headDim, 'attention k');
  if (headCount(v, headDim, 'attention v') !== nkv || v.shape.some((d, i) => d !== k.shape[i])) {
    throw shapeError(v, `attention v ${fmt(v.shape)} must match k ${fmt(k.shape)}`);
  }
  const [b, s] = q.shape;
  if (k.shape[0] !== b || k.shape[1] !== s) throw shapeError(k, `attention k ${fmt(k.shape)} and q ${fmt(q.shape)} differ in batch or sequence`);
  if (nh % nkv !== 0) {
    throw shapeError(q, `attention has ${nh} query heads and ${nkv} kv heads here; each kv head must serve a whole number of query heads`,
      'make nHead a multiple of nKvHead (and, under tensor parallelism, split both so every rank keeps that ratio)');
  }
  const o = scaledDotProductAttention(reshape(q, [b, s, nh, headDim]), reshape(k, [b, s, nkv, headDim]), reshape(v, [b, s, nkv, headDim])); // [B, S, nh, hd]
  return reshape(o, [b, s, nh * headDim]); // [B, S, nh·hd]
}

export function causalSelfAttention(q: Tensor, k: Tensor, v: Tensor, headDim: number, attnDropout = 0, recomputeCore = false): Tensor {
  const nh = headCount(q, headDim, 'attention q');
  const nkv = headCount(k, headDim, 'attention k');
  if (headCount(v, headDim, 'attention v') !== nkv || v.shape.some((d, i) => d !== k.shape[i])) {
    throw shapeError(v, `attention v ${fmt(v.shape)} must match k ${fmt(k.shape)}`);
  }
  const [b, s] = q.shape;
  if (k.shape[0] !== b || k.shape[1] !== s) throw shapeError(k, `attention k ${fmt(k.shape)} and q ${fmt(q.shape)} differ in batch or sequence`);
  if (nh % nkv !== 0) {
    throw shapeError(q, `attention has ${nh} query heads and ${nkv} kv heads here; each kv head must serve a whole number of query heads`,
      'make nHead a multiple of nKvHead (and, under tensor parallelism, split both so every rank keeps that ratio)');
  }
  const group = nh / nkv;
  const hd = headDim;
  const qh = splitHeads(q, nh); // [B, nh, S, hd]
  const qg = reshape(qh, [b, nkv, group * s, hd]); // [B, nkv, nh/nkv·S, hd]
  const kh = splitHeads(k, nkv); // [B, nkv, S, hd]
  const vh = splitHeads(v, nkv); // [B, nkv, S, hd]
  const kt = transpose(kh, [0, 1, 3, 2]); // [B, nkv, hd, S]
  // the core: everything that holds a·s² values
  const core = ([qx, kx, vx]: Tensor[]) => {
    const scores = scale(matmul(qx, kx), 1 / Math.sqrt(hd)); // [B, nkv, nh/nkv·S, S]
    const perQuery = reshape(scores, [b, nh, s, s]); // [B, nh, S, S]
    const probs = dropout(softmax(causalMask(perQuery)), attnDropout); // [B, nh, S, S]
    const pg = reshape(probs, [b, nkv, group * s, s]); // [B, nkv, nh/nkv·S, S]
    return matmul(pg, vx); // [B, nkv, nh/nkv·S, hd]
  };
  const ctx = q.ctx;
  const ctxv = recomputeCore && ctx.gradEnabled
    ? recomputeOnBackward(ctx.noGrad(() => core([qg, kt, vh])), [qg, kt, vh], core, 'recompute_attention_core')
    : core([qg, kt, vh]); // [B, nkv, nh/nkv·S, hd]
  const out = reshape(ctxv, [b, nh, s, hd]); // [B, nh, S, hd]
  return mergeHeads(out); // [B, S, nh·hd]
}
