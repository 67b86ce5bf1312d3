/**
 * Where a sequence-parallel region begins and ends in a whole model (Megatron SP, Korthikanti et
 * al. 2022 §4.2.2). With the plan's column layers all-gathering along S and the row layers
 * reduce-scattering along S, the residual stream between them is [B, S/tp, H] on each rank: it
 * has to be cut after the embedding and put back together before the LM head.
 *
 *   SequenceScatterBefore(block): x [B, S, H] → keep this rank's S/tp rows → block
 *       fwd: none   bwd: all-gather of dX along S        (scatterToSequenceRegion)
 *   SequenceGatherAfter(norm):    norm(x) [B, S/tp, H] → all-gather along S → [B, S, H]
 *       fwd: all-gather along S   bwd: reduce-scatter of dY along S (gatherFromSequenceRegion)
 *
 * Both are transparent: they report the wrapped module's kind, children and parameters, so module
 * paths and parameter names stay those of the dense model ("h.0.attn.c_attn", not "h.0.inner…").
 */
import type { Tensor } from '../core/tensor.js';
import { Module } from '../models/nn/module.js';
import { gatherFromSequenceRegion, scatterToSequenceRegion } from '../parallel/mappings.js';

abstract class Transparent extends Module {
  declare readonly inner: Module;

  constructor(inner: Module) {
    super();
    Object.defineProperty(this, 'inner', { value: inner, enumerable: false });
    this.builtAt = inner.builtAt;
  }

  override get kind(): string {
    return this.inner.kind;
  }

  override children(): [string, Module][] {
    return this.inner.children();
  }

  override ownParameters(): [string, Tensor][] {
    return this.inner.ownParameters();
  }
}

/** Cut the residual stream along S before `block` (the first transformer block). */
export class SequenceScatterBefore extends Transparent {
  async forward(x: Tensor): Promise<Tensor> {
    const mine = await scatterToSequenceRegion(x, 'tp', 1); // [B, S/tp, H]
    return this.inner.forward(mine);
  }
}

/** Gather the sequence back after `norm` (the final norm, before the LM head). */
export class SequenceGatherAfter extends Transparent {
  async forward(x: Tensor): Promise<Tensor> {
    const y = await this.inner.forward(x); // [B, S/tp, H]
    return gatherFromSequenceRegion(y, 'tp', 1); // [B, S, H]
  }
}
