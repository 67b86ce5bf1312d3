/** The op library: every op runs on one rank through RankContext.apply (numeric or meta). */
export * from './elementwise.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './shape.js';
export { softmax, layerNorm, rmsNorm, embedding, crossEntropy, causalMask } from './nn.js';
export * from './dtype-cast.js';
export * from './unary-math.js';
export * from './compare.js';
export * from './masking.js';
export * from './views.js';
export * from './gather.js';
export * from './reduce-dims.js';
export * from './softmax-dim.js';
export * from './creation.js';
export { promoteTypes, promoteScalar } from './kernel.js';
export * from './losses.js';
export * from './norms-nd.js';
export * from './activations.js';
export * from './sort-scan.js';
export { scaledDotProductAttention } from './attention.js';
// the models' dropout (meta-mode mask accounting); torch's F.dropout (seeded masks, numeric too)
// is torch-dropout.ts's, reached as `torchDropout`
export { dropout } from './dropout.js';
export { dropout as torchDropout } from './torch-dropout.js';
