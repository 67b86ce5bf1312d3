/** The op library: every op runs on one rank through RankContext.apply (numeric or meta). */
export * from './elementwise.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './shape.js';
export { softmax, layerNorm, rmsNorm, embedding, crossEntropy, causalMask } from './nn.js';
export { scaledDotProductAttention } from './attention.js';
export { dropout } from './dropout.js';
