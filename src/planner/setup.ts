/**
 * A planning request, checked once and turned into a PlanSetup (model shape, batch, cluster,
 * framework assumptions). Errors are ConfigErrors that say what to change.
 */
import { getHardware, type HardwarePreset } from '../core/cost/index.js';
import { ConfigError } from '../core/errors.js';
import type { TpOverlap } from './comm.js';
import type { AttentionKernel, Cluster, PlanSetup, TrainingOptions } from './plan.js';
import { PRESET_IDS, preset, type PlannerModel } from './presets.js';
import { shapeOf } from './shape.js';

export interface PlanRequest {
  /** A preset id (llama-3-8b, llama-3-70b, llama-3-405b, gpt3-175b) or a planner model. */
  readonly model: string | PlannerModel;
  /** s */
  readonly seq: number;
  /** B: sequences per optimizer step. */
  readonly globalBatch: number;
  readonly gpus: number;
  /** Hardware preset id ('h100', 'a100', 'h200') or a preset object (default h100). */
  readonly gpu?: string | HardwarePreset;
  /** Default: the preset's (8). */
  readonly gpusPerNode?: number;
  /** Per-GPU link bandwidths, bytes/s, replacing the preset's. */
  readonly nvlinkBandwidth?: number;
  readonly nicBandwidth?: number;
  /** η: the fraction of peak FLOP/s a large GEMM reaches before tile and wave quantization (default: the preset's; docs/gemm-efficiency.md). */
  readonly computeEfficiency?: number;
  readonly options?: Partial<TrainingOptions>;
}

/**
 * Defaults: fp32 main gradients (Megatron with bf16), fp32 logits in the cross-entropy,
 * FlashAttention, gradient reduction overlapped with the backward, Megatron's default TP overlap
 * (the backward's async dX reductions behind the weight-gradient GEMMs), and 5 % of device memory kept
 * free for the CUDA context, NCCL buffers, workspaces and allocator fragmentation (an assumption).
 */
export const DEFAULT_OPTIONS: Omit<TrainingOptions, 'reserveBytes'> & { readonly reserveFraction: number } = Object.freeze({
  gradBytes: 4,
  logitsBytes: 4,
  attention: 'flash' as AttentionKernel,
  overlapGradReduce: true,
  tpOverlap: 'backward' as TpOverlap,
  reserveFraction: 0.05,
});

const posInt = (what: string, v: number, fix: string) => {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${what} must be a whole number ≥ 1, got ${String(v)}`, fix);
};

export function makeSetup(req: PlanRequest): PlanSetup {
  const model = typeof req.model === 'string' ? preset(req.model) : req.model;
  if (!model) throw new ConfigError(`unknown model "${String(req.model)}"`, `use one of ${PRESET_IDS.join(', ')}, or the path of an HF config.json`);
  const shape = shapeOf(model);
  posInt('the sequence length', req.seq, 'pass --seq 8192 (tokens per sequence)');
  posInt('the global batch', req.globalBatch, 'pass --global-batch 1024 (sequences per optimizer step)');
  posInt('the GPU count', req.gpus, 'pass --gpus 512');
  if (shape.positionTable > 0 && req.seq > shape.positionTable) {
    throw new ConfigError(`sequence length ${req.seq} exceeds ${model.id}'s ${shape.positionTable} learned positions`, `use --seq ≤ ${shape.positionTable}`);
  }
  const overrides = {
    ...(req.nvlinkBandwidth !== undefined ? { nvlinkBandwidth: req.nvlinkBandwidth } : {}),
    ...(req.nicBandwidth !== undefined ? { nicBandwidth: req.nicBandwidth } : {}),
    ...(req.computeEfficiency !== undefined ? { computeEfficiency: req.computeEfficiency } : {}),
    ...(req.gpusPerNode !== undefined ? { gpusPerNode: req.gpusPerNode } : {}),
  };
  let hardware: HardwarePreset;
  try {
    hardware = typeof req.gpu === 'object' ? req.gpu : getHardware(req.gpu ?? 'h100', Object.keys(overrides).length ? overrides : undefined);
    if (typeof req.gpu === 'object' && Object.keys(overrides).length) hardware = Object.freeze({ ...req.gpu, ...overrides });
  } catch (e) {
    throw new ConfigError((e as Error).message, 'use --gpu a100, h100 or h200, and positive bandwidths / an efficiency in (0, 1]');
  }
  const gpusPerNode = req.gpusPerNode ?? hardware.gpusPerNode;
  posInt('GPUs per node', gpusPerNode, 'pass --gpus-per-node 8');
  if (req.gpus > gpusPerNode && req.gpus % gpusPerNode !== 0) {
    throw new ConfigError(`${req.gpus} GPUs do not fill whole nodes of ${gpusPerNode}`, `use a multiple of ${gpusPerNode} GPUs, or set --gpus-per-node`);
  }
  const cluster: Cluster = { gpus: req.gpus, hardware, gpusPerNode };
  const o = req.options ?? {};
  const options: TrainingOptions = {
    gradBytes: o.gradBytes ?? DEFAULT_OPTIONS.gradBytes,
    logitsBytes: o.logitsBytes ?? DEFAULT_OPTIONS.logitsBytes,
    attention: o.attention ?? DEFAULT_OPTIONS.attention,
    overlapGradReduce: o.overlapGradReduce ?? DEFAULT_OPTIONS.overlapGradReduce,
    tpOverlap: o.tpOverlap ?? DEFAULT_OPTIONS.tpOverlap,
    reserveBytes: o.reserveBytes ?? DEFAULT_OPTIONS.reserveFraction * hardware.memoryBytes,
    ...(o.swiglu === 'fused' ? { swiglu: 'fused' as const } : {}),
  };
  if (!(options.reserveBytes >= 0 && options.reserveBytes < hardware.memoryBytes)) {
    throw new ConfigError(`the memory reserve (${options.reserveBytes} bytes) must be ≥ 0 and below the device's ${hardware.memoryBytes}`, 'pass --reserve GB with a smaller value');
  }
  return Object.freeze({ model, shape, seq: req.seq, globalBatch: req.globalBatch, cluster, options });
}
