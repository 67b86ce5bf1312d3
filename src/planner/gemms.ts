/**
 * The GEMMs of one transformer layer on one tensor-parallel rank, with their shapes, so the
 * planner times each by the cost model's shape-aware `gemmTimeUs` (src/core/cost/gemm.ts) — the
 * function the simulator charges every matmul op.
 *
 * Forward, T = b·s tokens (the whole sequence: with SP the linears see the all-gathered input):
 *   QKV        GPT-2: [T, h] · [h, 3h/t]          (its fused c_attn)
 *              Llama: [T, h] · [h, hq/t], then [T, h] · [h, hkv/t] twice  (q_proj, k_proj, v_proj: three
 *              GEMMs, as HF and torchtitan define the model and the simulator runs it; Megatron's fused
 *              linear_qkv is one [h, (hq + 2hkv)/t] GEMM — with 8 KV heads over t = 8 the separate k and
 *              v GEMMs are 128 wide, ~20 % slower in all at 70B)
 *   scores     b·a/t × [s, hd] · [hd, s]          (QKᵀ per head)
 *   context    b·a/t × [s, s] · [s, hd]           (softmax · V)
 *   out proj   [T, hq/t] · [hq/t, h]
 *   MLP up     [T, h] · [h, F/t], twice with SwiGLU (gate and up)
 *   MLP down   [T, F/t] · [F/t, h]
 * Backward of Y = X·W ([M, K] · [K, N]): dX = dY·Wᵀ ([M, N] · [N, K]) and dW = Xᵀ·dY ([K, M] · [M, N]);
 * of the attention core the same for both operands (unfused attention: cuBLAS batched GEMMs over
 * the whole s × s, mask applied after). FlashAttention runs the attention core as one causal kernel
 * per pass, timed by the cost model's flashAttentionTimeUs (fitted to measured H200 SDPA times).
 * The LM head (last stage): [T, h] · [h, V/t], and its backward.
 */
import { flashAttentionTimeUs, gemmFlops, gemmTimeUs, type GemmShape, type HardwarePreset } from '../core/cost/index.js';
import type { AttentionKernel, Recompute } from './plan.js';
import { kvWidth, queryWidth, type TransformerShape } from './shape.js';

export interface LayerGemms {
  /** The linears' GEMMs (weights), forward. */
  readonly dense: readonly GemmShape[];
  /** The attention core's two batched GEMMs, forward. */
  readonly core: readonly GemmShape[];
}

/**
 * Forward GEMMs of one layer for b sequences of s tokens on one of t tensor-parallel ranks; with
 * context parallelism over cp ranks, its s/cp tokens (queries) against all s keys.
 */
export function layerGemms(m: TransformerShape, b: number, s: number, t: number, cp = 1): LayerGemms {
  const sq = s / cp;
  const T = b * sq;
  const h = m.hidden;
  const hq = queryWidth(m);
  const hkv = kvWidth(m);
  const qkv: GemmShape[] = m.family === 'llama'
    ? [{ batch: 1, m: T, k: h, n: hq / t }, { batch: 1, m: T, k: h, n: hkv / t }, { batch: 1, m: T, k: h, n: hkv / t }]
    : [{ batch: 1, m: T, k: h, n: (hq + 2 * hkv) / t }];
  const dense: GemmShape[] = [
    ...qkv,
    { batch: 1, m: T, k: hq / t, n: h },
    ...(m.gatedMlp ? [{ batch: 1, m: T, k: h, n: m.ffn / t }] : []),
    { batch: 1, m: T, k: h, n: m.ffn / t },
    { batch: 1, m: T, k: m.ffn / t, n: h },
  ];
  const heads = (b * m.heads) / t;
  const core: GemmShape[] = [
    { batch: heads, m: sq, k: m.headDim, n: s },
    { batch: heads, m: sq, k: s, n: m.headDim },
  ];
  return { dense, core };
}

/** The two backward GEMMs of a forward GEMM: dX = dY·Wᵀ, dW = Xᵀ·dY. */
export function backwardGemms(g: GemmShape): [GemmShape, GemmShape] {
  return [
    { batch: g.batch, m: g.m, k: g.n, n: g.k },
    { batch: g.batch, m: g.k, k: g.m, n: g.n },
  ];
}

/** The LM head's forward GEMM: [T, h] · [h, V/t] (T = b·s/cp tokens). */
export function headGemm(m: TransformerShape, b: number, s: number, t: number, cp = 1): GemmShape {
  return { batch: 1, m: (b * s) / cp, k: m.hidden, n: m.vocab / t };
}

/** Time of forward + backward of GEMMs, µs: each forward and its two backward products. */
function trainUs(gs: readonly GemmShape[], hw: HardwarePreset): { fwd: number; bwd: number } {
  let fwd = 0;
  let bwd = 0;
  for (const g of gs) {
    fwd += gemmTimeUs(g, 'bfloat16', hw);
    for (const d of backwardGemms(g)) bwd += gemmTimeUs(d, 'bfloat16', hw);
  }
  return { fwd, bwd };
}

/** Memo of the GEMM times per (model shape, hardware) object: a search asks for the same few shapes thousands of times. */
const memo = new WeakMap<object, WeakMap<object, Map<string, unknown>>>();
function cached<T>(m: TransformerShape, hw: HardwarePreset, key: string, f: () => T): T {
  let byHw = memo.get(m);
  if (!byHw) memo.set(m, (byHw = new WeakMap()));
  let map = byHw.get(hw);
  if (!map) byHw.set(hw, (map = new Map()));
  if (!map.has(key)) map.set(key, f());
  return map.get(key) as T;
}

/** GEMM time of one layer and one micro-batch on one rank, µs: forward, and backward with what is recomputed. */
export function layerGemmUs(m: TransformerShape, b: number, s: number, t: number, recompute: Recompute, attention: AttentionKernel, hw: HardwarePreset, cp = 1): { forward: number; backward: number; coreForward: number; coreBackward: number } {
  return cached(m, hw, `layer|${b}|${s}|${t}|${recompute}|${attention}|${cp}`, () => layerGemmUsOnce(m, b, s, t, recompute, attention, hw, cp));
}

function layerGemmUsOnce(m: TransformerShape, b: number, s: number, t: number, recompute: Recompute, attention: AttentionKernel, hw: HardwarePreset, cp: number): { forward: number; backward: number; coreForward: number; coreBackward: number } {
  const g = layerGemms(m, b, s, t, cp);
  const dense = trainUs(g.dense, hw);
  // FlashAttention: one fused causal kernel per pass (src/core/cost/attention.ts); unfused: the two batched GEMMs
  const fa = { batch: (b * m.heads) / t, sq: s / cp, skv: s, d: m.headDim, causal: true };
  const core = attention === 'flash' ? { fwd: flashAttentionTimeUs(fa, 'forward', hw), bwd: flashAttentionTimeUs(fa, 'backward', hw) } : trainUs(g.core, hw);
  const forward = dense.fwd + core.fwd;
  let backward = dense.bwd + core.bwd;
  if (recompute === 'full') backward += forward;
  else if (recompute === 'selective' && attention === 'unfused') backward += core.fwd;
  return { forward, backward, coreForward: core.fwd, coreBackward: core.bwd };
}

/** The LM head's GEMM time for one micro-batch, µs. */
export function headGemmUs(m: TransformerShape, b: number, s: number, t: number, hw: HardwarePreset, cp = 1): { forward: number; backward: number } {
  const x = trainUs([headGemm(m, b, s, t, cp)], hw);
  return { forward: x.fwd, backward: x.bwd };
}

/** Forward FLOPs of the layer's GEMMs on one rank (a cross-check of ./flops.ts: t × this = its total). */
export function layerGemmFlops(m: TransformerShape, b: number, s: number, t: number): number {
  const g = layerGemms(m, b, s, t);
  return [...g.dense, ...g.core].reduce((a, x) => a + gemmFlops(x), 0);
}

/** One linear's GEMM times, µs: forward, dX (dgrad) and dW (wgrad). */
export interface LinearUs {
  readonly fwd: number;
  readonly dgrad: number;
  readonly wgrad: number;
}

/**
 * The layer's linears grouped as tensor parallelism sees them: the column-parallel ones (QKV; the
 * MLP's up, with its gate) and the row-parallel ones (attention output; MLP down). What Megatron
 * overlaps the tensor-parallel communication with (./comm.ts).
 */
export function layerLinearUs(m: TransformerShape, b: number, s: number, t: number, hw: HardwarePreset, cp = 1): { qkv: LinearUs; up: LinearUs; out: LinearUs; down: LinearUs } {
  return cached(m, hw, `linear|${b}|${s}|${t}|${cp}`, () => layerLinearUsOnce(m, b, s, t, hw, cp));
}

function layerLinearUsOnce(m: TransformerShape, b: number, s: number, t: number, hw: HardwarePreset, cp: number): { qkv: LinearUs; up: LinearUs; out: LinearUs; down: LinearUs } {
  const g = layerGemms(m, b, s, t, cp).dense;
  const one = (x: GemmShape): LinearUs => {
    const [dx, dw] = backwardGemms(x);
    return { fwd: gemmTimeUs(x, 'bfloat16', hw), dgrad: gemmTimeUs(dx, 'bfloat16', hw), wgrad: gemmTimeUs(dw, 'bfloat16', hw) };
  };
  const sum = (xs: LinearUs[]): LinearUs => ({ fwd: xs.reduce((a, x) => a + x.fwd, 0), dgrad: xs.reduce((a, x) => a + x.dgrad, 0), wgrad: xs.reduce((a, x) => a + x.wgrad, 0) });
  const nq = m.family === 'llama' ? 3 : 1; // q, k, v (./layerGemms)
  const ups = m.gatedMlp ? [one(g[nq + 1]), one(g[nq + 2])] : [one(g[nq + 1])];
  return { qkv: sum(g.slice(0, nq).map(one)), out: one(g[nq]), up: sum(ups), down: one(g[g.length - 1]) };
}

