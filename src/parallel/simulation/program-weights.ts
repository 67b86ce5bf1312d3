import type { RankContext } from '../../core/context.js';
import { ConfigError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { WeightStore } from '../../models/weights.js';

/**
 * A custom program's checkpoint (`spec.weights`): the file's tensors by name, as stored. Reading
 * is local to a rank, as loading a checkpoint is — no traffic.
 *   full(name)              the whole tensor on this rank (Replicate)
 *   split(name, dim, axis)  this rank's contiguous part of tensor dim `dim` over mesh `axis`
 *                           (default "tp"; Shard(dim))
 */
export interface ProgramWeights {
  names(): string[];
  shape(name: string): readonly number[];
  full(name: string): Tensor;
  split(name: string, dim: number, axis?: string): Tensor;
}

/** What a `program` gets besides its rank context. */
export interface ProgramContext {
  readonly weights: ProgramWeights;
}

export function programWeights(ctx: RankContext, store: WeightStore): ProgramWeights {
  const known = (name: string) => {
    if (!store.has(name)) {
      const names = store.names();
      throw new ConfigError(`the weights file has no tensor "${name}"${names.length ? ` (it has ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''})` : ' (the spec names no weights file)'}`, names.length ? `use one of its names, e.g. weights.full("${names[0]}")` : "add weights: 'model.safetensors' to the simulation");
    }
    return store.decl(name);
  };
  return {
    names: () => store.names(),
    shape: (name) => known(name).shape,
    full: (name) => (known(name), store.full(ctx, name)),
    split(name, dim, axis = 'tp') {
      const d = known(name);
      const n = ctx.axisSize(axis);
      const i = ctx.coord(axis);
      const size = d.shape[dim];
      if (size === undefined || size % n !== 0) throw new ConfigError(`"${name}" [${d.shape.join(', ')}]: dim ${dim} does not split into ${n} equal parts over ${axis}`, `split a dim whose size is a multiple of ${n}`);
      return store.shard(ctx, name, dim, [[i * (size / n), size / n]], axis);
    },
  };
}
