import { simulate } from '../../core/simulate.js';
import type { ModelSpec } from '../../models/model.js';
import { buildQuietly } from '../../models/nn/module.js';
import { Params, WeightStore } from '../../models/weights.js';

/** Declare every parameter of `model` in `store`: shapes and inits only, by a meta-mode build (no TensorFlow.js). */
export async function declareWeights(model: ModelSpec, store: WeightStore): Promise<void> {
  await simulate({ mesh: {}, mode: 'meta', sources: 'none', traceCompute: false }, (ctx) => {
    buildQuietly(() => model.build(new Params(ctx, store)));
  });
}

/**
 * Draw a seeded model's dense checkpoint ahead, in JavaScript (WeightStore.warm): the runner does
 * it while the threaded backend's pool starts, so the run finds the values drawn. False when
 * nothing was drawn (too large to keep).
 */
export async function warmWeights(model: ModelSpec, seed: number, dtype?: WeightStore['dtype']): Promise<boolean> {
  const store = new WeightStore({ mode: 'numeric', seed, dtype });
  await declareWeights(model, store);
  return store.warm();
}
