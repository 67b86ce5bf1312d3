/**
 * Floating-point operations of a training step (a multiply-add is 2 FLOPs).
 *
 * One layer's forward, b sequences of s tokens (Narayanan et al. 2021 §5.1; Korthikanti et al.
 * 2022 Appendix A): 2·b·s·(the layer's matmul weights) + 4·b·s²·hq (QKᵀ and attention·V).
 * For a GPT layer (12h² weights): 24bsh² + 4bs²h = 24bsh²(1 + s/(6h)).
 * The LM head's forward: 2·b·s·h·V. Backward = 2 × forward.
 *
 * Model FLOPs of a step (what MFU counts; B = global batch, l layers):
 *   3 × forward = 72·B·s·l·h²·(1 + s/(6h) + V/(12hl))         (GPT, Korthikanti Appendix A)
 * Hardware FLOPs add what recomputation redoes:
 *   full recompute: one more forward of every layer (not the head) →
 *     96·B·s·l·h²·(1 + s/(6h) + V/(16hl))                      (Narayanan et al. 2021 Eq. 3)
 *   selective: the attention core's forward again, 4·b·s²·hq per layer;
 *   FlashAttention: its backward recomputes QKᵀ, 2·b·s²·hq per layer (also after a full recompute).
 * 6ND rule (Kaplan et al. 2020): ≈ 6 × parameters × tokens, the matmul part without attention.
 */
import type { AttentionKernel, Recompute } from './plan.js';
import { queryWidth, type TransformerShape } from './shape.js';

/** Matmul weights of one layer (what multiplies each token): everything but norms and biases. */
export function layerMatmulParams(m: TransformerShape): number {
  const hq = queryWidth(m);
  const hkv = m.kvHeads * m.headDim;
  return 2 * m.hidden * hq + 2 * m.hidden * hkv + (m.gatedMlp ? 3 : 2) * m.hidden * m.ffn;
}

/** Forward FLOPs of one layer for b sequences of length s, split into matmuls with weights and the attention core. */
export function layerForwardFlops(m: TransformerShape, b: number, s: number): { dense: number; attention: number; total: number } {
  const dense = 2 * b * s * layerMatmulParams(m);
  const attention = 4 * b * s * s * queryWidth(m);
  return { dense, attention, total: dense + attention };
}

/** Forward FLOPs of the LM head: 2·b·s·h·V. */
export function headForwardFlops(m: TransformerShape, b: number, s: number): number {
  return 2 * b * s * m.hidden * m.vocab;
}

/** FLOPs one layer really executes for one micro-batch: forward, backward, and what is recomputed. */
export function layerTrainingFlops(m: TransformerShape, b: number, s: number, recompute: Recompute, attention: AttentionKernel): number {
  const f = layerForwardFlops(m, b, s);
  let total = 3 * f.total;
  if (recompute === 'full') total += f.total;
  else if (recompute === 'selective' && attention === 'unfused') total += f.attention;
  if (attention === 'flash') total += f.attention / 2;
  return total;
}

/** Model FLOPs of one step: 3 × (l layers + head) forward over the global batch (no recomputation). */
export function modelFlops(m: TransformerShape, globalBatch: number, s: number): number {
  return 3 * (m.layers * layerForwardFlops(m, globalBatch, s).total + headForwardFlops(m, globalBatch, s));
}

/**
 * Hardware FLOPs of one step: model FLOPs plus what recomputation and FlashAttention's backward
 * redo; with recompute 'full' on only a fraction of the layers (partial), that fraction redoes its forward.
 */
export function hardwareFlops(m: TransformerShape, globalBatch: number, s: number, recompute: Recompute, attention: AttentionKernel, fullFraction = 1): number {
  const layer = recompute === 'full' ? fullFraction * layerTrainingFlops(m, globalBatch, s, 'full', attention) + (1 - fullFraction) * layerTrainingFlops(m, globalBatch, s, 'none', attention) : layerTrainingFlops(m, globalBatch, s, recompute, attention);
  return m.layers * layer + 3 * headForwardFlops(m, globalBatch, s);
}

/** 6·N·D: 6 × parameters × tokens of one step. */
export function sixND(params: number, tokens: number): number {
  return 6 * params * tokens;
}
