import type { RankContext } from './context.js';
import { SimError } from './errors.js';
import type { Tensor } from './tensor.js';
import { accumulateInto, addInto, onesLike } from './ops/grad-helpers.js';

/**
 * Reverse-mode autodiff on one rank, over the tape the ops recorded. Nodes run in reverse
 * creation order (tensor ids grow monotonically, so that is a valid topological order), which
 * makes every rank issue its backward collectives in the same order as the mirror of its forward
 * ones. Backward functions may be async: a collective's gradient is another collective.
 * Gradient arithmetic runs through the same ops (autograd off, phase "backward"), so backward
 * compute is costed, traced and works in meta mode.
 */
let backwardEpoch = 0;

export async function runBackward(ctx: RankContext, root: Tensor, seed?: Tensor): Promise<void> {
  if (!root.requiresGrad) {
    throw new SimError('user-exception', `backward() on ${root.describe()}, which does not depend on any parameter`, {
      ranks: [{ rank: ctx.rank, source: ctx.source(true), detail: 'backward called here' }],
      fix: 'call backward on a loss computed from parameters (or inputs made with requiresGrad)',
    });
  }
  const prevPhase = ctx.phase;
  const prevGrad = ctx.gradEnabled;
  ctx.phase = prevPhase === 'forward' ? 'backward' : prevPhase;
  ctx.gradEnabled = false;
  try {
    // Collect the graph reachable from the root (an epoch mark on each tensor, no hashing).
    const epoch = ++backwardEpoch;
    const order: Tensor[] = [];
    const stack: Tensor[] = [root];
    root.bwEpoch = epoch;
    while (stack.length) {
      const t = stack.pop()!;
      order.push(t);
      t.bwGrad = null;
      if (t.node) {
        for (const x of t.node.inputs) {
          if (x.requiresGrad && x.bwEpoch !== epoch) {
            x.bwEpoch = epoch;
            stack.push(x);
          }
        }
      }
    }
    order.sort((a, b) => b.id - a.id);
    root.bwGrad = seed ?? onesLike(root);
    for (const t of order) {
      const g = t.bwGrad;
      if (!g) continue;
      t.bwGrad = null;
      if (!t.node) {
        accumulateLeaf(ctx, t, g, false); // the root itself is a leaf
        continue;
      }
      if (t.retainGrad) t.grad = g;
      const node = t.node;
      ctx.moduleStack.push(node.module ?? '');
      ctx.moduleSites.push(node.site);
      let inGrads: (Tensor | null)[];
      try {
        ctx.memory.tick();
        for (const x of node.saved ?? node.inputs) ctx.memory.use(x.memIndex);
        inGrads = await node.backward(g);
      } finally {
        ctx.moduleStack.pop();
        ctx.moduleSites.pop();
      }
      for (let i = 0; i < node.inputs.length; i++) {
        const x = node.inputs[i];
        const gx = inGrads[i];
        if (!gx || !x.requiresGrad) continue;
        if (!sameShape(gx.shape, x.shape)) {
          throw new SimError('shape', `gradient of ${node.op} has shape [${gx.shape.join(', ')}] but its input is [${x.shape.join(', ')}]`, {
            ranks: [{ rank: ctx.rank, detail: `in the backward of ${node.op}${node.module ? ` (module ${node.module})` : ''}` }],
            fix: 'a custom backward must return one gradient per input, shaped like that input',
          });
        }
        passGradient(ctx, x, gx, GEMM_OPS.has(node.op));
      }
    }
    // Free the graph: the tape is single-use, like PyTorch without retain_graph.
    for (const t of order) t.node = null;
  } finally {
    ctx.phase = prevPhase;
    ctx.gradEnabled = prevGrad;
  }
}

/** Ops whose weight gradient is a GEMM's output (a plain matmul; SP's column-parallel matmul, ../parallel/sequence-gathered-matmul.ts). */
const GEMM_OPS: ReadonlySet<string> = new Set(['matmul', 'sequence_gathered_matmul']);

/**
 * Hand `x` a gradient `gx` from the backward of a node reading it: a leaf takes each gradient as it
 * comes (torch's AccumulateGrad), so a parameter's gradient is not held until the end of the
 * backward; a non-leaf sums them until its own node runs (its id is lower: it runs later).
 * Also what a weight gradient held back by ./async-grad.ts goes through when its GEMM runs.
 */
export function passGradient(ctx: RankContext, x: Tensor, gx: Tensor, fromGemm: boolean): void {
  if (!x.node) {
    accumulateLeaf(ctx, x, gx, fromGemm);
    return;
  }
  const prev = x.bwGrad;
  x.bwGrad = prev ? addInto(prev, gx) : gx;
}

/**
 * Add `g` to a leaf's `.grad`: the first gradient becomes the (pinned) buffer, later ones add into
 * it in place (`fromGemm`: a matmul's weight gradient, fused into main_grad: ./ops/grad-helpers.ts).
 */
function accumulateLeaf(ctx: RankContext, t: Tensor, g: Tensor, fromGemm: boolean): void {
  const prev = t.grad;
  t.grad = prev && prev.memIndex >= 0 ? accumulateInto(prev, g, fromGemm) : prev ? addInto(prev, g) : g;
  ctx.gradReadyUs.set(t, ctx.clock);
  if (t.grad.memIndex >= 0) ctx.memory.pin(t.grad.memIndex);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
