/** The user-facing parallel API: layers, mappings, plans, simulations. */
export * from './axis.js';
export * from './mappings.js';
export * from './column.js';
export * from './row.js';
export * from './vocab.js';
export * from './plan.js';
export * from './shard-weights.js';
export * from './simulation/spec.js';
export * from './simulation/run.js';
export { computeLoss } from './simulation/loss.js';
export * from './pipeline/schedule.js';
export * from './pipeline/partition.js';
export * from './pipeline/stage-layer.js';
export { runPipeline, stageLayers } from './pipeline/runtime.js';
export { buildModel } from './simulation/build.js';
export * from './data/grad-sync.js';
