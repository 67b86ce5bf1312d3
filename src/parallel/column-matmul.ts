import { holdWeightGrad, tpOverlapOn } from '../core/async-grad.js';
import { matmul, reshape, transposeLast } from '../core/ops/index.js';
import type { Tensor } from '../core/tensor.js';

/**
 * Y = X·A for a column-parallel layer without sequence parallelism, X being the f copy
 * (copyToRegion, whose backward all-reduces the summed dX of every layer reading it).
 *
 *   X [B, S, in] (the f copy)   A [in, out/tp]   →   Y [B, S, out/tp]
 *   bwd: dX = dY·Aᵀ (a partial sum, all-reduced by f);  dA = Xᵀ·dY
 * With the world's tpOverlap 'backward' (Megatron's async dX all-reduce) dA is held until f's
 * all-reduce has started and runs beside it (../core/async-grad.ts); the values are matmul's.
 * Otherwise, or when nothing can be held (X not on the tape), it is the plain matmul.
 */
export function columnMatmul(x: Tensor, w: Tensor): Tensor {
  const ctx = x.ctx;
  if (!tpOverlapOn(ctx) || !ctx.gradEnabled || !x.node || w.ndim !== 2) return matmul(x, w);
  const y = ctx.noGrad(() => matmul(x, w)); // [B, S, out/tp]
  return ctx.customGrad(y, [x, w], (dy) => {
    const dx = matmul(dy, transposeLast(w)); // [B, S, in], a partial sum
    const k = x.shape[x.ndim - 1];
    const n = w.shape[1];
    const wgrad = () => matmul(transposeLast(reshape(x, [-1, k])), reshape(dy, [-1, n])); // [in, out/tp]
    const dw = w.requiresGrad && !holdWeightGrad(x, w, wgrad) ? wgrad() : null;
    return [dx, dw];
  }, 'matmul');
}
