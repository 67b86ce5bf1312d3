import type { RankContext } from './context.js';
import { SimError } from './errors.js';
import type { Tensor } from './tensor.js';
import { addInto, onesLike } from './ops/grad-helpers.js';

/**
 * Reverse-mode autodiff on one rank, over the tape the ops recorded. Nodes run in reverse
 * creation order (tensor ids grow monotonically, so that is a valid topological order), which
 * makes every rank issue its backward collectives in the same order as the mirror of its forward
 * ones. Backward functions may be async: a collective's gradient is another collective.
 * Gradient arithmetic runs through the same ops (autograd off, phase "backward"), so backward
 * compute is costed, traced and works in meta mode.
 */
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
    // Collect the graph reachable from the root.
    const nodes = new Map<number, Tensor>();
    const stack: Tensor[] = [root];
    while (stack.length) {
      const t = stack.pop()!;
      if (nodes.has(t.id)) continue;
      nodes.set(t.id, t);
      if (t.node) for (const x of t.node.inputs) if (x.requiresGrad && !nodes.has(x.id)) stack.push(x);
    }
    const order = [...nodes.values()].sort((a, b) => b.id - a.id);
    const grads = new Map<number, Tensor>();
    grads.set(root.id, seed ?? onesLike(root));
    for (const t of order) {
      const g = grads.get(t.id);
      if (!g) continue;
      grads.delete(t.id);
      if (!t.node) {
        const prev = t.grad;
        t.grad = prev ? addInto(prev, g) : g;
        if (prev) ctx.memory.release(prev.memIndex); // the sum replaces it
        if (t.grad.memIndex >= 0) ctx.memory.pin(t.grad.memIndex);
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
        if (gx.shape.length !== x.shape.length || gx.shape.some((d, k) => d !== x.shape[k])) {
          throw new SimError('shape', `gradient of ${node.op} has shape [${gx.shape.join(', ')}] but its input is [${x.shape.join(', ')}]`, {
            ranks: [{ rank: ctx.rank, detail: `in the backward of ${node.op}${node.module ? ` (module ${node.module})` : ''}` }],
            fix: 'a custom backward must return one gradient per input, shaped like that input',
          });
        }
        const prev = grads.get(x.id);
        grads.set(x.id, prev ? addInto(prev, gx) : gx);
      }
    }
    // Free the graph: the tape is single-use, like PyTorch without retain_graph.
    for (const t of order) t.node = null;
  } finally {
    ctx.phase = prevPhase;
    ctx.gradEnabled = prevGrad;
  }
}
