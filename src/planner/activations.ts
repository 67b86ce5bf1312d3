/**
 * Activation memory, Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
 * Transformer Models", §4 and Table 2), in bytes, 16-bit activations, 1-byte dropout masks.
 *
 * One GPT layer, no parallelism (Eq. 1):  sbh(34 + 5as/h)
 *   attention 11sbh + 5as²b: QKV input 2sbh, Q and K 4sbh, softmax output 2as²b, its dropout mask
 *             as²b and output 2as²b, V 2sbh, output-projection input 2sbh, dropout mask sbh
 *   MLP 19sbh: fc1 input 2sbh, GeLU input 8sbh, fc2 input 8sbh, dropout mask sbh
 *   layer norms 4sbh: the two norm inputs
 * Tensor parallel t (Eq. 2):              sbh(10 + 24/t + 5as/(ht))
 *   (norm inputs 4sbh, QKV and MLP inputs 4sbh and the two masks 2sbh stay whole on every rank)
 * Tensor + sequence parallel (Eq. 4):     sbh/t · (34 + 5as/h)
 * Selective recompute (§5) drops the 5as/h term: sbh(10 + 24/t), or sbh·34/t with SP.
 * Full recompute keeps only the layer input: 2sbh (Table 2); 2sbh/t with SP, where Megatron keeps
 *   the sequence-parallel shard.
 *
 * Generalised here term by term to GQA (K, V of width hkv = nkv·hd), SwiGLU (gate and up outputs,
 * the SiLU output and the down-projection input: 4·2sbF, as HF / torchtitan's unfused SwiGLU
 * stores them; 3·2sbF fused, as Megatron's bias-SwiGLU kernel keeps only gate and up) and no dropout (no masks; the softmax output is kept, 2as²b). For a GPT layer
 * (hkv = h, F = 4h, dropout) every term reduces to the paper's numbers above.
 * FlashAttention stores no s² term (its log-sum-exp, 4·as·b bytes, is left out).
 * Context parallelism over cp ranks: every term ÷cp (each rank keeps s/cp tokens; its scores are
 * its s/cp queries against all s keys).
 *
 * Pipeline stash (§4.2.3): the micro-batches whose activations a stage holds at once —
 *   GPipe: m;  1F1B: min(p − s, m) on stage s (p on the first stage);
 *   interleaved (Narayanan et al. 2021 §2.2.2, Megatron's warm-up): min(2(p − s − 1) + (v − 1)p + 1, m·v)
 *   model chunks of l/(pv) layers, which on the first stage is l·(1 + (p − 1)/(pv)) layers' worth.
 */
import type { ParallelPlan, SwigluKernel } from './plan.js';
import { kvWidth, queryWidth, type TransformerShape } from './shape.js';

export interface LayerActivationInput {
  /** s */
  readonly seq: number;
  /** b */
  readonly microBatch: number;
  /** t */
  readonly tp: number;
  readonly sequenceParallel: boolean;
  readonly recompute: ParallelPlan['recompute'];
  readonly attention: 'unfused' | 'flash';
  /** Context parallelism: each rank keeps s/cp tokens (and the a·(s/cp)·s scores of its queries); 1 when unset. */
  readonly cp?: number;
  /** SwiGLU as one kernel keeping gate and up (3·2sbF with the down-projection input) instead of 4·2sbF. */
  readonly swiglu?: SwigluKernel;
}

/** The terms of one layer's activations for one micro-batch, bytes on one rank. */
export interface LayerActivationTerms {
  /** Outside the tensor-parallel regions (norm inputs, QKV/MLP inputs, dropout masks): ÷t only with SP. */
  readonly outside: number;
  /** Inside them (Q, K, V, projections' inputs, MLP hidden): ÷t. */
  readonly inside: number;
  /** The a·s² attention terms (unfused attention only): ÷t. */
  readonly scores: number;
  /** What the layer stores under the plan's recompute. */
  readonly total: number;
}

/** One layer's activation bytes for one micro-batch on one rank; formulas in the file comment. */
export function layerActivations(m: TransformerShape, x: LayerActivationInput): LayerActivationTerms {
  const s = x.seq / (x.cp ?? 1);
  const b = x.microBatch;
  const h = m.hidden;
  const t = x.tp;
  const sbh = s * b * h;
  const mask = m.dropout ? 1 : 0;
  // norm inputs 2·2sbh, QKV input 2sbh, MLP input 2sbh, two dropout masks sbh each
  const outsideFull = 4 * sbh + 2 * sbh + 2 * sbh + 2 * mask * sbh;
  const hq = queryWidth(m);
  const hkv = kvWidth(m);
  // Q, K: 2sb(hq + hkv); V: 2sb·hkv; output-projection input: 2sb·hq
  const attn = 2 * s * b * (hq + hkv) + 2 * s * b * hkv + 2 * s * b * hq;
  // GeLU: its input and fc2's input, 2·2sbF; SwiGLU: gate, up, SiLU output, down input, 4·2sbF
  // (fused: gate, up, down input, 3·2sbF)
  const mlp = (m.gatedMlp ? (x.swiglu === 'fused' ? 6 : 8) : 4) * s * b * m.ffn;
  const insideFull = attn + mlp;
  // softmax output 2as²b (+ dropout mask as²b and dropout output 2as²b)
  const scoresFull = x.attention === 'flash' ? 0 : (2 + 3 * mask) * m.heads * s * x.seq * b; // its s/cp queries × all s keys

  const outside = x.sequenceParallel ? outsideFull / t : outsideFull;
  const inside = insideFull / t;
  const scores = scoresFull / t;
  let total: number;
  if (x.recompute === 'full') total = x.sequenceParallel ? (2 * sbh) / t : 2 * sbh;
  else if (x.recompute === 'selective') total = outside + inside;
  else total = outside + inside + scores;
  return { outside, inside, scores, total };
}

/**
 * Layer-micro-batches of activations stage `stage` (0-based along pp) holds at its peak:
 * (micro-batches in flight) × (layers per model chunk). Formulas in the file comment.
 */
export function stashedLayers(layersPerRank: number, plan: Pick<ParallelPlan, 'pp' | 'schedule' | 'virtual'>, m: number, stage: number): number {
  const p = plan.pp;
  const v = plan.virtual;
  if (plan.schedule === 'GPipe') return m * layersPerRank;
  if (plan.schedule === '1F1B' || v === 1) return Math.min(p - stage, m) * layersPerRank;
  const chunks = Math.min(2 * (p - stage - 1) + (v - 1) * p + 1, m * v);
  return chunks * (layersPerRank / v);
}

/** Micro-batches in flight on stage `stage` (for the embedding-side activations that go with each). */
export function stashedMicrobatches(plan: Pick<ParallelPlan, 'pp' | 'schedule' | 'virtual'>, m: number, stage: number): number {
  if (plan.schedule === 'GPipe') return m;
  if (plan.schedule === '1F1B' || plan.virtual === 1) return Math.min(plan.pp - stage, m);
  return Math.min(Math.ceil((2 * (plan.pp - stage - 1) + (plan.virtual - 1) * plan.pp + 1) / plan.virtual), m);
}

/**
 * Activations outside the layers, one micro-batch (Korthikanti §4.3):
 *   first stage: the embedding's dropout mask sbh (÷t with SP), with dropout only;
 *   last stage: the final norm's input and the LM head's input 2·2sbh (÷t with SP), and the
 *   logits the cross-entropy keeps, s·b·V/t × logitsBytes (4 = fp32: Megatron's vocab-parallel
 *   cross-entropy upcasts). For a 128k vocabulary the logits are the largest single activation.
 *   logitGrad: the 16-bit gradient of the logits the backward makes from them, 2·s·b·V/t.
 */
export function embeddingActivations(m: TransformerShape, x: LayerActivationInput): number {
  const sbh = (x.seq / (x.cp ?? 1)) * x.microBatch * m.hidden;
  return m.dropout ? (x.sequenceParallel ? sbh / x.tp : sbh) : 0;
}

export function headActivations(m: TransformerShape, x: LayerActivationInput, logitsBytes: number): { inputs: number; logits: number; logitGrad: number } {
  const s = x.seq / (x.cp ?? 1);
  const sbh = s * x.microBatch * m.hidden;
  const inputs = x.sequenceParallel ? (4 * sbh) / x.tp : 4 * sbh;
  const elements = (s * x.microBatch * m.vocab) / x.tp;
  return { inputs, logits: elements * logitsBytes, logitGrad: 2 * elements };
}
