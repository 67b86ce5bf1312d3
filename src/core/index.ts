/** The simulation core: pure (no vscode, no fs, no DOM). */
export * from './dtype.js';
export * from './errors.js';
export * from './mesh.js';
export * from './tensor.js';
export * from './context.js';
export * from './ledger.js';
export * from './trace.js';
export * from './traffic.js';
export * from './memory.js';
export * from './rng.js';
export * from './source.js';
export * from './events.js';
export * from './simulate.js';
export * from './world.js';
export * from './cost/index.js';
export * as ops from './ops/index.js';
export { Comm, type GroupOpt, type Work } from './collectives/comm.js';
