import type { RankContext } from './context.js';
import { runBackward } from './autograd.js';
import { Tensor } from './tensor.js';

/**
 * Activation recomputation (torch.utils.checkpoint; Megatron's recompute, Korthikanti et al. 2022
 * §5). A region's forward runs with the tape off, so none of its intermediates is kept; one tape
 * node stands for the whole region and keeps only its inputs. When the backward reaches it, the
 * region's forward runs again with the tape on (phase "recompute": its ops and collectives are
 * on the timeline and the ledger, and cost time), then dy flows back through the rebuilt graph.
 */

/** The phase of recomputed forward ops (trace events and ledger entries). */
export const RECOMPUTE_PHASE = 'recompute';

/** Run `fn` with the tape off on this rank (an async torch.no_grad). */
export async function withoutTape<T>(ctx: RankContext, fn: () => Promise<T> | T): Promise<T> {
  const prev = ctx.gradEnabled;
  ctx.gradEnabled = false;
  try {
    return await fn();
  } finally {
    ctx.gradEnabled = prev;
  }
}

/**
 * Tape `out` — computed from `inputs` by `rerun` with the tape off — as one node that keeps only
 * `inputs` and recomputes the region in the backward: `rerun(inputs')` on stand-ins for the
 * inputs (the same values and memory, each a leaf that collects its gradient).
 */
export function recomputeOnBackward(out: Tensor, inputs: readonly Tensor[], rerun: (xs: Tensor[]) => Tensor | Promise<Tensor>, name = 'checkpoint'): Tensor {
  const ctx = out.ctx;
  if (!ctx.gradEnabled || !inputs.some((x) => x.requiresGrad)) return out;
  out.requiresGrad = true;
  out.node = {
    op: name,
    inputs,
    saved: inputs,
    module: ctx.module,
    site: ctx.moduleSite(),
    backward: async (dy) => {
      const standIns = inputs.map((x) => (x.requiresGrad ? standIn(x) : x));
      const phase = ctx.phase;
      const grad = ctx.gradEnabled;
      let y: Tensor;
      ctx.phase = RECOMPUTE_PHASE;
      ctx.gradEnabled = true;
      try {
        y = await rerun(standIns);
      } finally {
        ctx.phase = phase;
        ctx.gradEnabled = grad;
      }
      if (y.requiresGrad) await runBackward(ctx, y, dy);
      return standIns.map((s, i) => {
        if (!inputs[i].requiresGrad || !s.grad) return null;
        // the stand-in's gradient is handed on, not kept as a leaf's
        ctx.memory.release(s.grad.memIndex);
        return s.grad;
      });
    },
  };
  return out;
}

/** A leaf with x's values and memory that collects its own gradient. */
function standIn(x: Tensor): Tensor {
  const t = new Tensor(x.ctx, x.shape, x.dtype, x.data, true);
  t.memIndex = x.memIndex;
  t.cid = x.cid;
  t.placement = x.placement;
  t.global = x.global;
  return t;
}
