/**
 * What a parallel plan is and what it is planned for. Plain readonly data; checked once where a
 * setup is built (./setup.ts).
 */
import type { HardwarePreset } from '../core/cost/index.js';
import type { TpOverlap } from './comm.js';
import type { PlannerModel } from './presets.js';
import type { TransformerShape } from './shape.js';

/** Activation recomputation (Korthikanti et al. 2022 §5): none, the attention core only, or whole layers. */
export type Recompute = 'none' | 'selective' | 'full';

/** ZeRO stage over the data-parallel group (Rajbhandari et al. 2020): 0 none, 1 optimizer states, 2 + gradients, 3 + parameters. */
export type ZeroStage = 0 | 1 | 2 | 3;

/** Pipeline schedule: GPipe, 1F1B (PipeDream-Flush), or interleaved 1F1B with v model chunks per rank. */
export type PlanSchedule = 'GPipe' | '1F1B' | 'Interleaved1F1B';

/**
 * Attention kernel: "unfused" (Megatron's QKᵀ → softmax → dropout → ·V, which stores the a·s²
 * scores, Korthikanti Eq. 1's 5as/h term) or "flash" (FlashAttention: no s² activations; its
 * backward recomputes the scores).
 */
export type AttentionKernel = 'unfused' | 'flash';

export interface ParallelPlan {
  readonly tp: number;
  readonly pp: number;
  readonly dp: number;
  /** b: sequences per micro-batch. */
  readonly microBatch: number;
  readonly schedule: PlanSchedule;
  /** v: model chunks per pipeline rank (1 unless interleaved). */
  readonly virtual: number;
  /** Megatron sequence parallelism in the non-tensor-parallel regions (needs tp > 1). */
  readonly sequenceParallel: boolean;
  readonly recompute: Recompute;
  /** With recompute 'full': layers of each model chunk recomputed whole (Megatron --recompute-num-layers); all when unset. */
  readonly recomputeLayers?: number;
  readonly zero: ZeroStage;
  /** Context parallelism (ring attention over the sequence, Megatron --context-parallel-size): 1 when unset. */
  readonly cp?: number;
}

export interface Cluster {
  readonly gpus: number;
  readonly hardware: HardwarePreset;
  readonly gpusPerNode: number;
}

/** Training-framework assumptions; every one has a default in ./setup.ts. */
export interface TrainingOptions {
  /** Bytes per gradient element: 4 = fp32 main grads (Megatron's default with bf16), 2 = bf16. */
  readonly gradBytes: 2 | 4;
  /** Bytes per logit the cross-entropy keeps: 4 = fp32 (Megatron upcasts), 2 = bf16. */
  readonly logitsBytes: 2 | 4;
  readonly attention: AttentionKernel;
  /** Data-parallel gradient reduction overlapped with the backward pass (Megatron overlap_grad_reduce). */
  readonly overlapGradReduce: boolean;
  /** Tensor-parallel communication hidden behind GEMMs (./comm.ts TpOverlap): 'backward' is Megatron's default. */
  readonly tpOverlap: TpOverlap;
  /** Device memory kept free for the CUDA context, NCCL buffers, workspaces and fragmentation. */
  readonly reserveBytes: number;
  /**
   * SwiGLU models' activation: 'unfused' (default; HF / torchtitan keep gate, SiLU output and up)
   * or 'fused' (one kernel keeping gate and up, recomputing the SiLU: Megatron's bias-SwiGLU fusion).
   */
  readonly swiglu?: SwigluKernel;
}

/** How a SwiGLU MLP computes silu(gate) ⊙ up (TrainingOptions.swiglu). */
export type SwigluKernel = 'unfused' | 'fused';

/** A model, a batch and a cluster: what the planner plans for. */
export interface PlanSetup {
  readonly model: PlannerModel;
  readonly shape: TransformerShape;
  /** s */
  readonly seq: number;
  /** B: sequences per optimizer step, all data-parallel replicas together. */
  readonly globalBatch: number;
  readonly cluster: Cluster;
  readonly options: TrainingOptions;
}

/** m: micro-batches per step on each data-parallel replica = B / (dp · b). */
export function microbatches(setup: PlanSetup, plan: ParallelPlan): number {
  return setup.globalBatch / (plan.dp * plan.microBatch);
}

/** "full", or "full ×2/chunk" when only some layers of each chunk are recomputed. */
export function recomputeLabel(p: Pick<ParallelPlan, 'recompute' | 'recomputeLayers'>): string {
  return p.recompute === 'full' && p.recomputeLayers !== undefined ? `full ×${p.recomputeLayers}/chunk` : p.recompute;
}

/** "tp=8 pp=4 dp=16 mb=1 1F1B SP recompute=none ZeRO-1" (with "cp=2" when context-parallel) */
export function describePlan(p: ParallelPlan): string {
  const sched = p.schedule === 'Interleaved1F1B' ? `interleaved v=${p.virtual}` : p.schedule;
  const cp = (p.cp ?? 1) > 1 ? ` cp=${p.cp}` : '';
  return `tp=${p.tp}${cp} pp=${p.pp} dp=${p.dp} mb=${p.microBatch} ${sched}${p.sequenceParallel ? ' SP' : ''} recompute=${recomputeLabel(p)} ZeRO-${p.zero}`;
}
