/**
 * HBM bytes of the memory-bound (non-matmul) kernels of one layer's forward for one micro-batch,
 * on one rank: what the roofline charges at HBM bandwidth beside the matmuls' FLOPs. Kernels as
 * Megatron fuses them; 16-bit tensors (2 bytes), 1-byte dropout masks. R = t with sequence
 * parallelism (the norms and residuals see s/t tokens), else 1.
 *
 *   2 norms                 read + write sbh each                      8sbh/R
 *   2 residual adds         read 2sbh, write sbh each (+ dropout mask) 12sbh/R (+ 2sbh/R)
 *   MLP activation          GeLU: read + write sbF                     4sbF/t
 *                           SwiGLU: SiLU read + write, product read 2 write 1   10sbF/t
 *                           fused SwiGLU: read gate and up, write the product    6sbF/t
 *   RoPE (Llama)            read + write Q and K                       4sb(hq + hkv)/t
 *   unfused attention core  scale-mask-softmax read + write a·s²·b     4as²b/t
 *                           (+ dropout: read, write, mask)             (+ 5as²b/t)
 *   FlashAttention keeps the scores on chip: 0.
 * Backward ≈ 2 × forward (each kernel reads its saved input and the incoming gradient and writes
 * the outgoing one), plus the sums of the input gradients of linears that read one input as
 * separate GEMMs (Llama's q, k, v: 2 adds; gate and up: 1; GPT-2's fused c_attn: none), each read
 * 2, write 1 of the whole [b·s, h] (before SP's reduce-scatter): 6sbh per add. Recomputation
 * redoes the forward's kernels it recomputes.
 * The cross-entropy over the vocab-parallel logits (last stage): read the 16-bit logits, write
 * and read them at `logitsBytes` twice (max/exp-sum, then the gradient), write the 16-bit
 * gradient: (4 + 3·logitsBytes)·s·b·V/t.
 * The token embedding's backward (first stage): its dense gradient written, 2·V·h/t, and added to
 * the main gradient by its own kernel (Megatron's gradient-accumulation fusion covers the GEMMs'
 * weight gradients, not the embedding's): read 2 + g, write g → (2 + 2g)·V·h/t bytes per
 * micro-batch with g-byte main gradients.
 */
import type { AttentionKernel, Recompute, SwigluKernel } from './plan.js';
import { kvWidth, queryWidth, type TransformerShape } from './shape.js';

export interface ElementwiseInput {
  readonly seq: number;
  readonly microBatch: number;
  readonly tp: number;
  readonly sequenceParallel: boolean;
  readonly attention: AttentionKernel;
  /** Context parallelism: s/cp tokens per rank (1 when unset). */
  readonly cp?: number;
  readonly swiglu?: SwigluKernel;
}

/** Forward HBM bytes of one layer's memory-bound kernels, split into the attention core and the rest. */
export function layerElementwiseForwardBytes(m: TransformerShape, x: ElementwiseInput): { core: number; rest: number } {
  const s = x.seq / (x.cp ?? 1);
  const b = x.microBatch;
  const t = x.tp;
  const R = x.sequenceParallel ? t : 1;
  const sbh = s * b * m.hidden;
  const mask = m.dropout ? 1 : 0;
  let rest = (8 * sbh + 12 * sbh + 2 * mask * sbh) / R;
  rest += ((m.gatedMlp ? (x.swiglu === 'fused' ? 6 : 10) : 4) * s * b * m.ffn) / t;
  if (m.family === 'llama') rest += (4 * s * b * (queryWidth(m) + kvWidth(m))) / t;
  const core = x.attention === 'flash' ? 0 : ((4 + 5 * mask) * m.heads * s * x.seq * b) / t; // s/cp queries × s keys
  return { core, rest };
}

/** HBM bytes of one layer's memory-bound kernels for one micro-batch: forward, backward, recomputation. */
export function layerElementwiseBytes(m: TransformerShape, x: ElementwiseInput, recompute: Recompute): { forward: number; backward: number } {
  const f = layerElementwiseForwardBytes(m, x);
  const fwd = f.core + f.rest;
  const redo = recompute === 'full' ? fwd : recompute === 'selective' ? f.core : 0;
  const adds = (m.family === 'llama' ? 2 : 0) + (m.gatedMlp ? 1 : 0); // dX of q + k + v, of gate + up
  const dxSums = adds * 6 * (x.seq / (x.cp ?? 1)) * x.microBatch * m.hidden;
  return { forward: fwd, backward: 2 * fwd + dxSums + redo };
}

/** HBM bytes of the cross-entropy over one micro-batch's logits on one rank; formula above. */
export function crossEntropyBytes(m: TransformerShape, seq: number, microBatch: number, tp: number, logitsBytes: number, cp = 1): number {
  return ((4 + 3 * logitsBytes) * (seq / cp) * microBatch * m.vocab) / tp;
}

/** HBM bytes of the token embedding's backward per micro-batch on the first stage; formula above. */
export function embeddingGradBytes(m: TransformerShape, tp: number, gradBytes: number): number {
  return ((2 + 2 + 2 * gradBytes) * m.embeddingParams) / tp;
}
