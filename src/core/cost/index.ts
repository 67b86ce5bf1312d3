/** Cost model: hardware presets, links, collective and compute time estimates. */
export * from './hardware.js';
export * from './links.js';
export * from './collectiveTime.js';
export * from './computeTime.js';
export * from './gemm.js';
export * from './attention.js';
