/**
 * Activation recomputation of a simulation (Korthikanti et al. 2022 §5; Megatron-LM's
 * --recompute-granularity / --recompute-method block / --recompute-num-layers):
 *
 *   "selective"  every attention module recomputes its unfused core (QKᵀ, softmax, dropout, ·V)
 *                in the backward and keeps only q, k, v: the 5as/h term of a layer goes.
 *   "full"       every transformer layer keeps only its input (2sbh; 2sbh/t with SP) and runs
 *                its forward again, collectives included, when the backward reaches it.
 *   { method: "full", layers: N }  the first N layers of each pipeline stage — of each model
 *                chunk when interleaved — recompute fully; the rest keep everything.
 * Recomputed ops run in phase "recompute": on the timeline and in the ledger, costing time.
 */
import { recomputeOnBackward, withoutTape } from '../core/checkpoint.js';
import { ConfigError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { Module, withoutModuleHooks } from '../models/nn/module.js';
import type { StageRange } from './pipeline/partition.js';

export type RecomputeOption = 'none' | 'selective' | 'full' | { readonly method: 'full'; readonly layers: number };

/** Check a spec's `recompute` once, where the spec is checked. */
export function checkRecompute(r: unknown): void {
  if (r === undefined || r === 'none' || r === 'selective' || r === 'full') return;
  const o = r as { method?: unknown; layers?: unknown };
  if (typeof r === 'object' && r !== null && o.method === 'full' && typeof o.layers === 'number' && Number.isInteger(o.layers) && o.layers >= 0) return;
  throw new ConfigError(`recompute must be "none", "selective", "full" or { method: "full", layers: N }, got ${JSON.stringify(r)}`,
    'use recompute: "selective" (attention core), "full" (every layer) or { method: "full", layers: 2 } (the first 2 layers of each pipeline stage)');
}

/**
 * A transformer layer that keeps only its input and recomputes its forward in the backward. It is
 * transparent: its kind, children and parameters are the layer's, so paths and names stay the
 * dense model's ("h.3.attn.c_attn").
 */
export class RecomputedLayer extends Module {
  declare readonly inner: Module;

  constructor(inner: Module) {
    super();
    Object.defineProperty(this, 'inner', { value: inner, enumerable: false });
    this.builtAt = inner.builtAt;
    this.path = inner.path;
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

  async forward(x: Tensor): Promise<Tensor> {
    const ctx = x.ctx;
    if (!ctx.gradEnabled) return this.inner.forward(x);
    // the first run keeps nothing and is not recorded by module hooks: the recomputation is
    const out = await withoutTape(ctx, () => withoutModuleHooks(ctx, () => this.inner.forward(x)));
    return recomputeOnBackward(out, [x], ([xi]) => this.inner.forward(xi), 'recompute_layer'); // [B, S(/tp), H]
  }
}

/**
 * Apply `recompute` to a parallelized model: flag the attention modules (selective) or wrap the
 * chosen layers (full). `layerPaths` are the model's blocks in order; `stages` the pipeline's
 * chunks of them (one chunk of all when there is no pipeline).
 */
export function applyRecompute(root: Module, recompute: RecomputeOption | undefined, layerPaths: readonly string[], stages?: readonly StageRange[]): void {
  if (recompute === undefined || recompute === 'none') return;
  if (recompute === 'selective') {
    for (const [, m] of root.namedModules()) if ('recomputeCore' in m) (m as { recomputeCore: boolean }).recomputeCore = true;
    return;
  }
  const n = recompute === 'full' ? Infinity : recompute.layers;
  const chunks = stages ?? [{ stage: 0, start: 0, end: layerPaths.length }];
  for (const c of chunks) {
    for (let i = c.start; i < Math.min(c.end, c.start + n); i++) {
      const path = layerPaths[i];
      const m = root.get(path);
      if (!m) throw new ConfigError(`recompute: the model has no layer "${path}"`, 'recompute works on models whose layerPaths() name their blocks');
      if (!(m instanceof RecomputedLayer)) root.set(path, new RecomputedLayer(m));
    }
  }
}
