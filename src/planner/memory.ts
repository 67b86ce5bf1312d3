/**
 * Peak memory of one GPU under a plan, per pipeline stage, in bytes.
 *
 * Model states, Ψ = parameters this GPU holds (its stage's layers ÷ tp, plus embedding/head):
 *   weights     2Ψ (bf16)
 *   gradients   gΨ, g = 4 (fp32 main grads, Megatron's default with bf16) or 2 (bf16)
 *   optimizer   12Ψ: Adam's fp32 master weights, first and second moments (4 + 4 + 4)
 * ZeRO over the d = dp·cp data- and context-parallel ranks (Rajbhandari et al. 2020, §5 and Figure 1, K = 12):
 *   stage 0  (2 + g + 12)Ψ;  1  (2 + g)Ψ + 12Ψ/d;  2  2Ψ + (g + 12)Ψ/d;  3  (2 + g + 12)Ψ/d
 *   + with stage 3, two layers' bf16 weights gathered at once (the running one and the prefetch;
 *   one without overlap, options.overlapGradReduce false: nothing is prefetched).
 * Layers per stage follow the plan's layout (./layout.ts: uneven stages hold one layer less).
 * With recompute 'full' on r layers of each chunk (partial), those keep their input and the rest
 * all their activations.
 * Activations (./activations.ts): one layer × the layer-micro-batches the stage stashes, plus the
 * embedding side on the first stage and the norm/head inputs and logits on the last, plus the
 * working set of recomputation: with full recompute the one layer being recomputed holds its whole
 * activations again; with selective recompute, its attention scores.
 * On the last stage, the 16-bit gradient of one micro-batch's logits too (the first backward
 * holds it beside the kept logits; for a 128k vocabulary it is as large as several layers).
 * Not counted: other temporaries of the running op (attention gradients), gradient buckets, the
 * allocator's fragmentation — that is what `reserveBytes` keeps free.
 */
import { embeddingActivations, headActivations, layerActivations, stashedLayers, stashedMicrobatches, type LayerActivationInput } from './activations.js';
import { cpOf, recomputedFraction, stageLayerCount } from './layout.js';
import { microbatches, type ParallelPlan, type PlanSetup } from './plan.js';
import type { TransformerShape } from './shape.js';

export interface StageMemory {
  readonly stage: number;
  /** Ψ: parameters on one GPU of this stage. */
  readonly params: number;
  readonly weights: number;
  readonly gradients: number;
  readonly optimizer: number;
  /** ZeRO-3's gathered layer weights. */
  readonly gathered: number;
  readonly activations: number;
  /** Of `activations`: the logits the cross-entropy keeps (last stage). */
  readonly logits: number;
  readonly total: number;
}

export interface MemoryEstimate {
  /** The stage whose GPUs need the most. */
  readonly peak: StageMemory;
  /** Every stage up to pp = 4; beyond, the first, the second and the last (the only candidates for the peak). */
  readonly stages: readonly StageMemory[];
  /** Device memory minus the reserve. */
  readonly capacity: number;
  readonly fits: boolean;
  /** capacity − peak (negative: out of memory by that much). */
  readonly marginBytes: number;
  /** margin / capacity */
  readonly marginFraction: number;
}

/** Parameters on one GPU of pipeline stage `stage`: its layers ÷ tp plus embedding (first) and head (last). */
export function stageParams(m: TransformerShape, plan: Pick<ParallelPlan, 'tp' | 'pp' | 'virtual'>, stage: number): number {
  const t = plan.tp;
  const layers = stageLayerCount(m.layers, plan, stage);
  let n = layers * (m.layerShardedParams / t + m.layerReplicatedParams);
  const first = stage === 0;
  const last = stage === plan.pp - 1;
  if (first) n += m.embeddingParams / t + m.positionParams;
  if (last) {
    n += m.finalNormParams;
    // untied head; tied: the last stage keeps its own copy of the embedding when it is not the first
    if (m.headParams > 0) n += m.headParams / t;
    else if (!first) n += m.embeddingParams / t;
  }
  return n;
}

/** Bytes of weights, gradients and optimizer states for Ψ parameters under a ZeRO stage; formulas above. */
export function modelStateBytes(params: number, zero: ParallelPlan['zero'], dp: number, gradBytes: number): { weights: number; gradients: number; optimizer: number } {
  const shard = (x: number, stage: number) => (zero >= stage ? x / dp : x);
  return { weights: shard(2 * params, 3), gradients: shard(gradBytes * params, 2), optimizer: shard(12 * params, 1) };
}

export function activationInput(setup: PlanSetup, plan: ParallelPlan): LayerActivationInput {
  return { seq: setup.seq, microBatch: plan.microBatch, tp: plan.tp, sequenceParallel: plan.sequenceParallel, recompute: plan.recompute, attention: setup.options.attention, cp: cpOf(plan), swiglu: setup.options.swiglu };
}

/** Memory of one GPU on each stage and the peak; see the file comment. */
export function estimateMemory(setup: PlanSetup, plan: ParallelPlan): MemoryEstimate {
  const m = setup.shape;
  const mb = microbatches(setup, plan);
  const x = activationInput(setup, plan);
  const perLayer = layerActivations(m, x);
  const kept = layerActivations(m, { ...x, recompute: 'none' }).total;
  const recomputeWorkingSet = plan.recompute === 'full' ? kept : plan.recompute === 'selective' ? perLayer.scores : 0;
  const dpShards = plan.dp * cpOf(plan); // ZeRO shards over the data- and context-parallel ranks (Megatron's dp-cp group)
  const stages: StageMemory[] = [];
  // the middle stages hold the second's weights and fewer micro-batches: past 4 stages, only the
  // first, the second and the last can hold the peak
  const ids = plan.pp <= 4 ? Array.from({ length: plan.pp }, (_, i) => i) : [0, 1, plan.pp - 1];
  for (const s of ids) {
    const params = stageParams(m, plan, s);
    const st = modelStateBytes(params, plan.zero, dpShards, setup.options.gradBytes);
    // ZeRO-3's whole bf16 weights: the running layer's, and the next one's prefetched when the gathers overlap compute
    const gathered = plan.zero === 3 ? (setup.options.overlapGradReduce ? 2 : 1) * 2 * (m.layerShardedParams / plan.tp + m.layerReplicatedParams) : 0;
    // partial recompute: a fraction f of the layers keeps only its input, the rest everything
    const f = recomputedFraction(m.layers, plan, s);
    const layerBytes = plan.recompute === 'full' ? f * perLayer.total + (1 - f) * kept : perLayer.total;
    let act = layerBytes * stashedLayers(stageLayerCount(m.layers, plan, s), plan, mb, s) + recomputeWorkingSet;
    let logits = 0;
    if (s === 0) act += embeddingActivations(m, x) * stashedMicrobatches(plan, mb, s);
    if (s === plan.pp - 1) {
      const head = headActivations(m, x, setup.options.logitsBytes);
      const held = plan.schedule === 'GPipe' ? mb : 1;
      logits = head.logits * held;
      // + the backward's 16-bit logit gradient beside the kept logits (the head GEMM's input)
      act += (head.inputs + head.logits) * held + head.logitGrad;
    }
    const total = st.weights + st.gradients + st.optimizer + gathered + act;
    stages.push({ stage: s, params, ...st, gathered, activations: act, logits, total });
  }
  const peak = stages.reduce((a, b) => (b.total > a.total ? b : a), stages[0]);
  const capacity = setup.cluster.hardware.memoryBytes - setup.options.reserveBytes;
  const margin = capacity - peak.total;
  return { peak, stages, capacity, fits: margin >= 0, marginBytes: margin, marginFraction: margin / capacity };
}
