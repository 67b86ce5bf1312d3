/**
 * The automatic parallelism planner: which dp × pp × tp, micro-batch, schedule, sequence
 * parallelism, recomputation and ZeRO stage fit a model on a cluster, and how long a step takes.
 * Pure: no vscode, fs or DOM (test/planner/purity.test.ts).
 */
export * from './plan.js';
export * from './presets.js';
export * from './shape.js';
export * from './setup.js';
export * from './activations.js';
export * from './memory.js';
export * from './flops.js';
export * from './gemms.js';
export * from './layout.js';
export * from './elementwise.js';
export * from './comm.js';
export * from './time.js';
export * from './constraints.js';
export * from './search.js';
export * from './spec.js';
export * from './format.js';
export * from './json.js';
export { SequenceGatherAfter, SequenceScatterBefore } from './sp-boundary.js';
