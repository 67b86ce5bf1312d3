/**
 * The "autodist" module: the one door a person's script imports from.
 *
 *   import { simulation, ColumnParallelLinear, RowParallelLinear, gelu, models } from "autodist";
 *
 * When a script runs under `autodist simulate` (or the VS Code panel), `require("autodist")`
 * resolves to this very module instance, so tensors, layers and errors made by the script are
 * the runner's own classes.
 */

// ---- the parallel API: simulation(), parallel layers, Megatron mappings (incl. sequence
// parallel), plans, weight splitting, pipeline stages and schedules, runSimulation
export * from './parallel/index.js';

// ---- models: built-in references and the layers they are made of
export { models } from './models/index.js';
export type { FFN, FfnConfig, GPT2, Gpt2Config, LlamaForCausalLM, LlamaConfig, HFModelSpec } from './models/index.js';
export { Model, type Batch, type BatchShape, type LossKind, type ModelSpec } from './models/model.js';
export { Module, assignPaths, addModuleHook, type ModuleHook } from './models/nn/module.js';
export { Linear } from './models/nn/linear.js';
export { LayerNorm, RMSNorm } from './models/nn/norm.js';
export { Embedding } from './models/nn/embedding.js';
export { Params, WeightStore, type Init, type ParamDecl } from './models/weights.js';

// ---- the core: ranks, tensors, mesh, collectives, errors
export { simulate, type SimOptions, type SimResult, type RankProgram } from './core/simulate.js';
export { RankContext, type Mode } from './core/context.js';
export { Tensor } from './core/tensor.js';
export { Mesh, type MeshSpec, type ProcessGroup } from './core/mesh.js';
export { Comm } from './core/collectives/comm.js';
export { SimError, ConfigError, ShapeError, type SimErrorKind } from './core/errors.js';
export type { DType } from './core/dtype.js';
export type { Placement } from './core/placement.js';
export type { LedgerEntry, Phase, ReduceOp } from './core/ledger.js';
export type { TraceEvent, TraceKind } from './core/trace.js';
export type { SourceLocation } from './core/source.js';
export { HARDWARE, getHardware, type HardwarePreset, type Algorithm, type CollectiveOp } from './core/cost/index.js';

// ---- ops: as a namespace (ops.matmul) and, for the common ones, by name
export * as ops from './core/ops/index.js';
export { add, sub, mul, div, matmul, gelu, relu, silu, tanh, softmax, layerNorm, rmsNorm, reshape, transpose, split, concat, narrow } from './core/ops/index.js';

// ---- the report every run produces
export type * from './report/types.js';

// Pipeline parallelism: schedules, stage partitioning, the stage-edge wrapper; custom programs.
export { GPipe, OneFOneB, Interleaved1F1B, SCHEDULES, scheduleFn, idealBubble, checkActions, type Action, type ScheduleFn, type ScheduleName, type ScheduleShape } from './parallel/pipeline/schedule.js';
export { partition, type PartitionMethod, type StageRange, type LayerInfo } from './parallel/pipeline/partition.js';
export { PipelineStageLayer, buildStage, type StagePosition } from './parallel/pipeline/stage-layer.js';
export { runPipeline, stageLayers } from './parallel/pipeline/runtime.js';
export { buildModel } from './parallel/simulation/build.js';
export type { PipelineLayer, Sequential } from './models/model.js';

// Your own data and checkpoints: input/labels tensors, a loss, a weights file's layout, a program's weights.
export type { HostTensor, LossFn, TensorSource } from './parallel/simulation/inputs.js';
export type { ProgramContext, ProgramWeights } from './parallel/simulation/program-weights.js';
export type { CheckpointLayout, WeightsSpec } from './models/checkpoint-layout.js';
