import { matmul, reshape, transposeLast } from '../core/ops/index.js';
import type { Tensor } from '../core/tensor.js';
import { custom } from './mappings.js';

/**
 * Y = allgather_S(X)·A for a sequence-parallel column-parallel layer, keeping only X's shard for
 * the backward (Megatron's LinearWithGradAccumulationAndAsyncCommunication with sequence
 * parallelism: the gathered input is not saved, it is gathered again when the weight gradient
 * needs it).
 *
 *   X [B, S/tp, in] (this rank's rows)   A [in, out/tp]   →   Y [B, S, out/tp]
 *   fwd: all-gather of X along S, then the matmul
 *   bwd: all-gather of X along S again (phase backward) for dA = Xᵀ·dY;
 *        dX = reduce-scatter along S of dY·Aᵀ (each rank's product is a partial sum)
 * So the layer keeps 2sbh/tp bytes for its input instead of 2sbh (Korthikanti et al. 2022 §4.2.2).
 */
export async function sequenceGatheredMatmul(x: Tensor, w: Tensor, axis: string, seqDim: number): Promise<Tensor> {
  const ctx = x.ctx;
  const comm = ctx.comm;
  const gather = async (t: Tensor, label: string) => {
    const full = await comm.allGather(t, { axis, dim: seqDim, label }); // [B, S, in]
    full.node = null;
    full.requiresGrad = false;
    return full;
  };
  return custom(
    ctx,
    [x, w],
    async () => {
      const full = await gather(x, 'gather_from_sequence_region');
      return ctx.noGrad(() => matmul(full, w)); // [B, S, out/tp]
    },
    async (dy) => {
      const full = x.requiresGrad || w.requiresGrad ? await gather(x, 'gather_from_sequence_region.backward_regather') : null; // [B, S, in]
      const dxPartial = x.requiresGrad ? matmul(dy, transposeLast(w)) : null; // [B, S, in], a partial sum
      const dx = dxPartial ? await comm.reduceScatter(dxPartial, { axis, dim: seqDim, label: 'gather_from_sequence_region.backward' }) : null; // [B, S/tp, in]
      let dw: Tensor | null = null;
      if (w.requiresGrad && full) {
        const k = full.shape[full.ndim - 1];
        const n = dy.shape[dy.ndim - 1];
        dw = matmul(transposeLast(reshape(full, [-1, k])), reshape(dy, [-1, n])); // [in, out/tp]
      }
      return [dx, dw];
    },
    'sequence_gathered_matmul',
  );
}
