import type { RankContext } from '../../core/context.js';
import type { Algorithm, CollectiveOp, HardwarePreset } from '../../core/cost/index.js';
import type { DType } from '../../core/dtype.js';
import { ConfigError } from '../../core/errors.js';
import { checkMeshSizes, checkSpecFields, checkWholeNumber, checkWorldSize } from './limits.js';
import type { Mesh, MeshSpec } from '../../core/mesh.js';
import type { Comm } from '../../core/collectives/comm.js';
import type { WeightsSpec } from '../../models/checkpoint-layout.js';
import type { Model, ModelSpec } from '../../models/model.js';
import type { AxisInfo } from '../axis.js';
import type { Plan } from '../plan.js';
import type { WeightHandles } from '../shard-weights.js';
import type { PartitionMethod } from '../pipeline/partition.js';
import type { DataParallelOptions } from '../data/grad-sync.js';
import type { TpOverlapMode } from '../../core/world.js';
import type { ScheduleFn, ScheduleName } from '../pipeline/schedule.js';
import { checkRecompute, type RecomputeOption } from '../recompute.js';
import { checkOptimizer, type OptimizerOption } from '../data/adam.js';
import { isHostTensor, type LossFn, type TensorSource } from './inputs.js';
import type { ProgramContext } from './program-weights.js';

/** What a parallelize function gets on each rank. */
export interface ParallelizeContext {
  readonly rank: number;
  readonly tp: AxisInfo;
  readonly dp: AxisInfo;
  readonly pp: AxisInfo;
  readonly mesh: Mesh;
  readonly comm: Comm;
  readonly ctx: RankContext;
  /** The dense checkpoint, by module path: weights["h.0.attn.c_attn"].split(1, tp). */
  readonly weights: WeightHandles;
}

export interface InputSpec {
  /** Global batch size (all data-parallel replicas together); `data` and `labels` must have it as dim 0. */
  readonly batch: number;
  /** Sequence length; `data` and `labels` must have it as dim 1. */
  readonly seq: number;
  readonly microbatches?: number;
  /** The input tensor [B, S, …] instead of the model's seeded one: a file, values, or a function of the rank context. */
  readonly data?: TensorSource;
  /** The labels (targets of the loss) instead of the model's seeded ones, likewise. */
  readonly labels?: TensorSource;
}

/**
 * A simulation, as a script's default export describes it. Either a model (built in, from a
 * HuggingFace config, or the person's own ModelSpec) parallelized by a `plan`, a `parallelize`
 * function, or both — or a fully custom per-rank `program`.
 */
export interface SimulationSpec<M extends Model = Model> {
  readonly name?: string;
  readonly mesh: MeshSpec;
  readonly model?: ModelSpec<unknown, M>;
  readonly input?: InputSpec;
  /** Parameter / activation dtype for bytes, memory and time (numbers are computed in fp32). */
  readonly dtype?: DType;
  readonly mode?: 'numeric' | 'meta';
  /** A preset id ('h100', 'a100', 'h200') or a preset object (getHardware('h100', overrides)). */
  readonly hardware?: string | HardwarePreset;
  readonly gpusPerNode?: number;
  readonly algorithm?: Algorithm | Partial<Record<CollectiveOp, Algorithm>>;
  readonly seed?: number;
  readonly plan?: Plan;
  /** Runs on every rank after the dense model is built; replaces modules with parallel ones. */
  parallelize?(model: M, p: ParallelizeContext): void | Promise<void>;
  /**
   * The loss, in place of the model's (mean squared error; cross-entropy for language models):
   * `(output, { input, target }) => scalar tensor`. The reference uses it too. In a pipeline,
   * `output` and `target` are one micro-batch's.
   */
  readonly loss?: LossFn;
  /** Compare with the unsharded model (numeric mode only); tolerances override the defaults. */
  readonly verify?: boolean | { readonly output?: number; readonly grad?: number };
  /**
   * A fully custom SPMD program instead of a model: the same function on every rank. The second
   * argument holds the spec's `weights` file, by name, to build from (weights.split("w", 1)).
   */
  readonly program?: (rank: RankContext, p: ProgramContext) => unknown | Promise<unknown>;
  /**
   * Meta mode: fold data- and tensor-parallel ranks by symmetry (one representative per class
   * runs). The default folds worlds of more than 64 ranks, and worlds of any size whose ranks run
   * only built-in layers and a plan (symmetric by construction); "auto" only the former; false
   * never folds (every rank runs: asymmetric bugs in your own per-rank code show at any size).
   */
  readonly fold?: 'auto' | false | readonly string[];
  /**
   * Meta mode, pipelines: once a chunk's forward and backward have run twice identically, later
   * micro-batches replay their record instead of running every op again (the same trace, ledger
   * and memory; see core/segment.ts). Default true; false runs every micro-batch op by op —
   * use it if your own layers do something different on some micro-batches (say, every fourth),
   * which two consecutive identical runs cannot reveal.
   */
  readonly replayMicrobatches?: boolean;
  /** Pipeline schedule (torch.distributed.pipelining names) or your own (shape) → actions. */
  readonly schedule?: ScheduleName | ScheduleFn;
  /** How layers are cut into pp stages, and virtual stages per rank (interleaving). */
  readonly stages?: { readonly method?: PartitionMethod; readonly virtual?: number };
  /** Data-parallel gradient sync: DDP buckets (bucketMB, default 25) or ZeRO-1/2 (zero). */
  readonly dataParallel?: DataParallelOptions;
  /**
   * Tensor-parallel communication in the backward. overlap "backward" (the default, Megatron's
   * async communication): a column-parallel layer's dX all-reduce (SP: reduce-scatter) runs behind
   * its weight-gradient GEMMs and SP's re-gather of its input behind its dX GEMM, on a
   * communication stream; "none": every tensor-parallel collective blocks.
   */
  readonly tensorParallel?: { readonly overlap?: TpOverlapMode };
  /**
   * Activation recomputation (default "none"): "selective" recomputes the unfused attention core,
   * "full" every layer, { method: "full", layers: N } the first N layers of each pipeline stage
   * (of each model chunk when interleaved). Recomputed ops run in phase "recompute".
   */
  readonly recompute?: RecomputeOption;
  /**
   * The optimizer whose states and step the run holds (default none: weights and gradients only).
   * "adam": mixed-precision Adam as Megatron holds it — fp32 main gradients, fp32 master weights
   * and two moments, 18 bytes/parameter with 16-bit weights (16 with mainGrads: "param");
   * dataParallel.zero 1/2/3 keeps the states for 1/dp of the parameters. Its step runs in phase
   * "optimizer".
   */
  readonly optimizer?: OptimizerOption;
  /**
   * A .safetensors file with the model's weights (HuggingFace / PyTorch names), relative to the
   * script: a path, or { file, layout } — layout 'torch' (the default: nn.Linear weights [out, in],
   * as a PyTorch state dict holds them) or 'autodist' ([in, out]).
   */
  readonly weights?: string | WeightsSpec;
}

const BRAND = Symbol.for('autodist.simulation');

/** Declare a simulation (the default export of a script). Checks the spec's shape once, here. */
export function simulation<M extends Model = Model>(spec: SimulationSpec<M>): SimulationSpec<M> {
  checkSpec(spec as unknown as SimulationSpec, { declared: true });
  return Object.freeze({ ...spec, [BRAND]: true }) as SimulationSpec<M>;
}

export function isSimulationSpec(x: unknown): x is SimulationSpec {
  return typeof x === 'object' && x !== null && 'mesh' in x && ('model' in x || 'program' in x);
}

/**
 * Check a spec's shape and limits (limits.ts). `declared`: as simulation() sees it, before the
 * command line's overrides (mesh, mode) — the world's size against the mode's ceiling is checked
 * only on the spec that runs.
 */
export function checkSpec(spec: SimulationSpec, opts: { readonly declared?: boolean } = {}): void {
  if (typeof spec !== 'object' || spec === null) throw new ConfigError('a simulation must be an object', 'export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: 64 }), input: { batch: 2, seq: 8 } })');
  if (spec.mesh === undefined || spec.mesh === null) throw new ConfigError('the simulation has no mesh', 'add mesh: { tp: 4 } (axes dp, pp, tp)');
  checkMeshSizes(spec.mesh);
  checkSpecFields(spec);
  if (!opts.declared) checkWorldSize(spec);
  const known = ['dp', 'pp', 'tp', 'cp', 'ep'];
  for (const k of Object.keys(spec.mesh)) {
    if (!known.includes(k)) throw new ConfigError(`unknown mesh axis "${k}"`, `use the axes ${known.slice(0, 3).join(', ')} (e.g. mesh: { dp: 2, pp: 2, tp: 2 })`);
  }
  if (!spec.model && !spec.program) throw new ConfigError('the simulation has neither a model nor a program', 'add model: models.gpt2({...}) or program: async (rank) => {...}');
  if (spec.model && !spec.input) throw new ConfigError('the simulation has a model but no input', 'add input: { batch: 8, seq: 128 }');
  if (spec.input) {
    for (const k of ['data', 'labels'] as const) {
      const v = spec.input[k];
      if (v !== undefined && typeof v !== 'string' && typeof v !== 'function' && !isHostTensor(v)) {
        throw new ConfigError(`input.${k} must be a file path, { shape, data } or a function (ctx, { batch, seq }) => Tensor, got ${typeof v}`, `input: { ${k}: "batch.safetensors#${k === 'data' ? 'input' : 'labels'}" }`);
      }
    }
    for (const k of ['batch', 'seq'] as const) {
      const v = spec.input[k];
      checkWholeNumber(`input.${k}`, v, 1, `${k}: 8`);
    }
    const dp = spec.mesh.dp ?? 1;
    if (spec.input.batch % dp !== 0) throw new ConfigError(`the batch (${spec.input.batch}) does not divide among dp=${dp} replicas`, `use a batch that is a multiple of ${dp}`);
    const mb = spec.input.microbatches ?? 1;
    checkWholeNumber('input.microbatches', mb, 1, 'microbatches: 4');
    if ((spec.input.batch / dp) % mb !== 0) {
      throw new ConfigError(`each data-parallel replica's batch (${spec.input.batch / dp}) does not split into ${mb} micro-batches`, `use a batch that is a multiple of dp × microbatches = ${dp * mb}`);
    }
    const pp = spec.mesh.pp ?? 1;
    if (spec.schedule === 'Interleaved1F1B' && mb % pp !== 0) {
      throw new ConfigError(`Interleaved1F1B needs the micro-batch count (${mb}) to be a multiple of pp (${pp})`, `use microbatches: ${Math.ceil(mb / pp) * pp}`);
    }
  }
  if (spec.loss !== undefined && typeof spec.loss !== 'function') throw new ConfigError('loss must be a function (output, batch) => scalar tensor');
  if (spec.mode && spec.mode !== 'numeric' && spec.mode !== 'meta') throw new ConfigError(`unknown mode "${String(spec.mode)}"`, 'use "numeric" or "meta"');
  if (spec.plan !== undefined && (typeof spec.plan !== 'object' || spec.plan === null)) throw new ConfigError('plan must be an object of module-name patterns', '{ "h.*.mlp.c_fc": "colwise", "h.*.mlp.c_proj": "rowwise" }');
  if (spec.parallelize !== undefined && typeof spec.parallelize !== 'function') throw new ConfigError('parallelize must be a function (model, { tp, weights, ... }) => void');
  checkRecompute(spec.recompute);
  checkOptimizer(spec.optimizer);
  const tpOverlap = spec.tensorParallel?.overlap;
  if (tpOverlap !== undefined && tpOverlap !== 'none' && tpOverlap !== 'backward') {
    throw new ConfigError(`tensorParallel.overlap must be "backward" or "none", got ${JSON.stringify(tpOverlap)}`, 'use tensorParallel: { overlap: "backward" } (Megatron\'s async dX communication, the default) or { overlap: "none" } (every tensor-parallel collective blocks)');
  }
  const zero = spec.dataParallel?.zero;
  if (zero !== undefined && zero !== 0 && zero !== 1 && zero !== 2 && zero !== 3) {
    throw new ConfigError(`dataParallel.zero must be 0, 1, 2 or 3, got ${JSON.stringify(zero)}`, 'use zero: 1 (optimizer states sharded over dp), 2, or 3 (layer parameters sharded too, gathered per layer)');
  }
  if (zero === 3 && (spec.mode ?? 'numeric') !== 'meta') {
    throw new ConfigError('ZeRO-3 is simulated in meta mode only: its gradients stay sharded, so there is no whole gradient to compare with the unsharded model', "set mode: 'meta', or use zero: 1 or 2 in a numeric run");
  }
}
