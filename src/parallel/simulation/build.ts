import type { RankContext } from '../../core/context.js';
import type { Model, ModelSpec } from '../../models/model.js';
import { assignPaths, noteRoot } from '../../models/nn/module.js';
import { Params, WeightStore } from '../../models/weights.js';
import { weightHandles, type WeightHandles } from '../shard-weights.js';

/**
 * Build a model's dense form on this rank inside a custom `program` — the same seeded values on
 * every rank, as if each loaded the same checkpoint — with its weight handles for sharding:
 *   const { model, weights } = buildModel(rank, models.gpt2({...}));
 */
export function buildModel<M extends Model>(ctx: RankContext, spec: ModelSpec<unknown, M>, opts: { seed?: number } = {}): { model: M; weights: WeightHandles; store: WeightStore } {
  const store = new WeightStore({ mode: ctx.mode, seed: opts.seed ?? ctx.world.seed });
  ctx.onDispose(() => store.dispose());
  const model = spec.build(new Params(ctx, store));
  assignPaths(model);
  noteRoot(ctx, model);
  return { model, weights: weightHandles(ctx, store, model), store };
}
