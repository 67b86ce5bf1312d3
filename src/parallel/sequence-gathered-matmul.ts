import { behindWeightGrads, holdWeightGrad, TP_STREAM, tpOverlapOn } from '../core/async-grad.js';
import type { RankContext } from '../core/context.js';
import { matmul, reshape, transposeLast } from '../core/ops/index.js';
import type { Tensor } from '../core/tensor.js';

/**
 * Y = allgather_S(X)·A for a sequence-parallel column-parallel layer, keeping only X's shard for
 * the backward (Megatron's LinearWithGradAccumulationAndAsyncCommunication with sequence
 * parallelism: the gathered input is not saved, it is gathered again when the weight gradient
 * needs it).
 *
 *   X [B, S/tp, in] (this rank's rows)   A [in, out/tp]   →   Y [B, S, out/tp]
 *   fwd: all-gather of X along S, then the matmul
 *   bwd: all-gather of X along S again (phase backward) for dA = Xᵀ·dY;
 *        dX = reduce-scatter along S of Σ dY·Aᵀ (each rank's product is a partial sum)
 *   overlapped (the world's tpOverlap 'backward', Megatron's async communication): the re-gather
 *   runs on the tp stream beside the dX GEMMs; the reduce-scatter beside the dA GEMMs, which are
 *   held until it starts (../core/async-grad.ts)
 * So the layer keeps 2sbh/tp bytes for its input instead of 2sbh (Korthikanti et al. 2022 §4.2.2).
 *
 * Several such layers reading one X (Llama's q, k and v; gate and up) share one gather in the
 * forward, one in the backward and one reduce-scatter of their summed dX — as Megatron's fused
 * QKV and gate/up layers do.
 */
export async function sequenceGatheredMatmul(x: Tensor, w: Tensor, axis: string, seqDim: number): Promise<Tensor> {
  const ctx = x.ctx;
  const g = await gatheredInput(ctx, x, axis, seqDim);
  const y = ctx.noGrad(() => matmul(g.full, w)); // [B, S, out/tp]
  y.node = null;
  y.requiresGrad = false;
  return ctx.customGrad(y, [g.junction, w], async (dy) => {
    const overlap = tpOverlapOn(ctx);
    // overlapped (Megatron): the re-gather starts before the dX GEMM and runs beside it
    const early = overlap && w.requiresGrad ? await g.regathered() : null; // [B, S, in]
    const dx = g.junction.requiresGrad ? matmul(dy, transposeLast(w)) : null; // [B, S, in], a partial sum
    let dw: Tensor | null = null;
    if (w.requiresGrad) {
      const full = early ?? (await g.regathered()); // [B, S, in]
      const wgrad = () => {
        const k = full.shape[full.ndim - 1];
        const n = dy.shape[dy.ndim - 1];
        return matmul(transposeLast(reshape(full, [-1, k])), reshape(dy, [-1, n])); // [in, out/tp]
      };
      // held: it runs behind the junction's reduce-scatter (../core/async-grad.ts); else now,
      // once the re-gather is in
      if (!holdWeightGrad(g.junction, w, wgrad)) {
        if (overlap) ctx.waitCommStream(TP_STREAM);
        dw = wgrad();
      }
    }
    return [dx, dw];
  }, 'sequence_gathered_matmul');
}

/** One sequence-parallel input gathered for every layer that reads it. */
interface Gathered {
  /** The forward's gathered X [B, S, in] (kept only while the forward's matmuls read it). */
  readonly full: Tensor;
  /** Stands for the gathered X on the tape: the layers' dX add up on it, then one reduce-scatter to X. */
  readonly junction: Tensor;
  /** X gathered again in the backward, once for all the layers. */
  regathered(): Promise<Tensor>;
}

const gathered = new WeakMap<Tensor, Map<string, Gathered>>();

async function gatheredInput(ctx: RankContext, x: Tensor, axis: string, seqDim: number): Promise<Gathered> {
  const key = `${axis}|${seqDim}`;
  const taped = ctx.gradEnabled && x.requiresGrad;
  const hit = taped ? gathered.get(x)?.get(key) : undefined;
  if (hit) return hit;
  const comm = ctx.comm;
  const gather = async (label: string) => {
    const full = await comm.allGather(x, { axis, dim: seqDim, label }); // [B, S, in]
    full.node = null;
    full.requiresGrad = false;
    return full;
  };
  const full = await gather('gather_from_sequence_region');
  const junction = ctx.noGrad(() => reshape(full, full.shape)); // a view: no memory of its own
  let again: Promise<Tensor> | null = null;
  // overlapped, the re-gather runs on the tensor-parallel stream (the first layer's backward waits for it, or the junction's)
  const regather = () => gather('gather_from_sequence_region.backward_regather');
  const g: Gathered = { full, junction, regathered: () => (again ??= tpOverlapOn(ctx) ? ctx.onCommStream(ctx.clock, regather, TP_STREAM) : regather()) };
  if (taped) {
    junction.memIndex = -1; // the tape keeps X's shard, never the gathered X
    // the reduce-scatter of the layers' summed dX, behind their held weight-gradient GEMMs when overlapped
    const reduceScatter = (dg: Tensor) => comm.reduceScatter(dg, { axis, dim: seqDim, label: 'gather_from_sequence_region.backward' });
    ctx.customGrad(junction, [x], async (dg) => [await behindWeightGrads(ctx, junction, () => reduceScatter(dg))], 'gather_from_sequence_region');
    junction.node = { ...junction.node!, saved: [] }; // the reduce-scatter reads nothing of the forward
    const m = gathered.get(x) ?? new Map<string, Gathered>();
    m.set(key, g);
    gathered.set(x, m);
  }
  return g;
}
