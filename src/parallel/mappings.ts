import type { RankContext } from '../core/context.js';
import { contiguous, narrow } from '../core/ops/index.js';
import type { Tensor, BackwardFn } from '../core/tensor.js';

/**
 * Megatron-LM's tensor-parallel mappings (megatron/core/tensor_parallel/mappings.py), over the
 * ranks of one mesh axis (default "tp"). Every byte they move goes through `comm`, so the ledger
 * sees it; labels name the mapping.
 *
 *   copyToRegion          f: fwd identity            bwd all-reduce dX
 *   reduceFromRegion      g: fwd all-reduce          bwd identity
 *   scatterToRegion          fwd keep (a copy of) own last-dim chunk  bwd all-gather (last dim)
 *   gatherFromRegion         fwd all-gather (last dim)    bwd keep own chunk
 * Sequence parallel (dim = the sequence dim, 1 for [B, S, H]):
 *   scatterToSequenceRegion       fwd keep own S chunk    bwd all-gather along S
 *   gatherFromSequenceRegion      fwd all-gather along S  bwd reduce-scatter along S
 *                                 (the consumers differ per rank, so their dX are partial)
 *   reduceScatterToSequenceRegion fwd reduce-scatter S    bwd all-gather along S
 */

export function copyToRegion(x: Tensor, axis = 'tp'): Tensor {
  return x.ctx.comm.copyToGroup(x, { axis, label: 'copy_to_region' });
}

export function reduceFromRegion(x: Tensor, axis = 'tp'): Promise<Tensor> {
  return x.ctx.comm.allReduce(x, { axis, label: 'reduce_from_region' });
}

export function scatterToRegion(x: Tensor, axis = 'tp', dim = -1): Promise<Tensor> {
  const ctx = x.ctx;
  const n = ctx.axisSize(axis);
  const d = dim < 0 ? dim + x.ndim : dim;
  const len = x.shape[d] / n;
  // a copy of the own chunk, as Megatron's split (.contiguous()): keeping it does not keep all of x
  return custom(ctx, [x], async () => ctx.noGrad(() => contiguous(narrow(x, d, ctx.coord(axis) * len, len))), async (dy) => [await ctx.comm.allGather(dy, { axis, dim: d, label: 'scatter_to_region.backward' })], 'scatter_to_region');
}

export function gatherFromRegion(x: Tensor, axis = 'tp', dim = -1): Promise<Tensor> {
  return x.ctx.comm.allGather(x, { axis, dim: dim < 0 ? dim + x.ndim : dim, label: 'gather_from_region' });
}

export function scatterToSequenceRegion(x: Tensor, axis = 'tp', seqDim = 1): Promise<Tensor> {
  return scatterToRegion(x, axis, seqDim);
}

export function gatherFromSequenceRegion(x: Tensor, axis = 'tp', seqDim = 1): Promise<Tensor> {
  const ctx = x.ctx;
  return custom(
    ctx,
    [x],
    () => ctx.comm.allGather(x, { axis, dim: seqDim, label: 'gather_from_sequence_region' }),
    async (dy) => [await ctx.comm.reduceScatter(dy, { axis, dim: seqDim, label: 'gather_from_sequence_region.backward' })],
    'gather_from_sequence_region',
  );
}

export function reduceScatterToSequenceRegion(x: Tensor, axis = 'tp', seqDim = 1): Promise<Tensor> {
  return x.ctx.comm.reduceScatter(x, { axis, dim: seqDim, label: 'reduce_scatter_to_sequence_region' });
}

/** Run `forward` without taping it, then give its result the gradient `backward`. */
export async function custom(ctx: RankContext, inputs: readonly Tensor[], forward: () => Promise<Tensor>, backward: BackwardFn, name: string): Promise<Tensor> {
  const out = await forward();
  out.node = null;
  out.requiresGrad = false;
  return ctx.customGrad(out, inputs, backward, name);
}
