import type { RankContext } from './context.js';
import { passGradient } from './autograd.js';
import type { Tensor } from './tensor.js';

/**
 * Megatron's asynchronous input-gradient communication in the backward of a column-parallel
 * linear (megatron/core/tensor_parallel/layers.py, LinearWithGradAccumulationAndAsyncCommunication):
 *   without SP: dX GEMM → all-reduce of dX started (async) → dW GEMM → wait;
 *   with SP:    all-gather of the input shard started (async) → dX GEMM → wait →
 *               reduce-scatter of dX started (async) → dW GEMM → wait.
 *
 * Here the layers that read one input (q, k and v; gate and up) meet on a "junction" tensor — the
 * f copy (collectives/comm.ts copyToGroup) or SP's gathered input (parallel/sequence-gathered-
 * matmul.ts) — where their partial dX add up before ONE collective, as with Megatron's fused QKV
 * and gate/up layers. So that the collective can run behind the weight-gradient GEMMs, each layer's
 * backward returns its dX and holds its dW (`holdWeightGrad`); the junction's backward starts the
 * collective on the tensor-parallel communication stream, runs the held GEMMs (handing each
 * gradient to its weight as the autograd engine does), then waits (`behindWeightGrads`).
 * Values are those of the plain order (the same GEMMs, in another order); every rank issues the
 * same collectives in the same order as without overlap.
 *
 * On when the world's `tpOverlap` is 'backward' (the default, Megatron's); 'none' blocks.
 */

/** The communication stream tensor-parallel collectives overlap on (RankContext.onCommStream). */
export const TP_STREAM = 'tp';

/** Whether tensor-parallel backward collectives overlap the GEMMs on this rank's run. */
export function tpOverlapOn(ctx: RankContext): boolean {
  return ctx.world.tpOverlap === 'backward';
}

/** Weight-gradient GEMMs held until their junction's backward, by junction. */
const held = new WeakMap<Tensor, (() => void)[]>();

/**
 * In the backward of a layer reading `junction`: hold the weight gradient `dw()` of `w` until the
 * junction's collective has started, then hand it to `w` as the engine would (a leaf accumulates
 * it; a non-leaf made before the junction — ZeRO-2's gradient view, ZeRO-3's gathered weight —
 * runs its own backward after the junction's, the engine going by decreasing tensor id).
 * Returns false when it cannot be held — overlap off, the junction not on the tape, or `w` made
 * after the junction (its backward would run first): the caller computes it now.
 */
export function holdWeightGrad(junction: Tensor, w: Tensor, dw: () => Tensor): boolean {
  const ctx = junction.ctx;
  if (!tpOverlapOn(ctx) || !junction.node || !w.requiresGrad || (w.node && w.id > junction.id)) return false;
  // the GEMM is traced under the layer that owns it, not the junction's
  const module = ctx.moduleStack[ctx.moduleStack.length - 1];
  const site = ctx.moduleSites[ctx.moduleSites.length - 1];
  const list = held.get(junction) ?? [];
  if (!list.length) held.set(junction, list);
  list.push(() => {
    ctx.moduleStack.push(module ?? '');
    ctx.moduleSites.push(site);
    try {
      passGradient(ctx, w, dw(), true);
    } finally {
      ctx.moduleStack.pop();
      ctx.moduleSites.pop();
    }
  });
  return true;
}

/**
 * In `junction`'s backward: run `collective` (of the summed dX) on the tensor-parallel stream while
 * the weight-gradient GEMMs held on it run, then wait for it. Without held GEMMs it blocks.
 * The stream is first waited for: SP's re-gather of the input, which the GEMMs read (Megatron
 * waits for it before launching the reduce-scatter).
 */
export async function behindWeightGrads<T>(ctx: RankContext, junction: Tensor, collective: () => Promise<T>): Promise<T> {
  const work = held.get(junction);
  if (!work) return collective();
  held.delete(junction);
  ctx.waitCommStream(TP_STREAM);
  const out = await ctx.onCommStream(ctx.clock, collective, TP_STREAM);
  for (const run of work) run();
  ctx.waitCommStream(TP_STREAM);
  return out;
}
