import type { RankContext } from '../core/context.js';
import type { Tensor } from '../core/tensor.js';
import { Module } from './nn/module.js';
import type { Params } from './weights.js';

/** One batch of inputs for a model, the same on every rank that shares a data shard. */
export interface Batch {
  readonly input: Tensor;
  /** Targets for the loss: token ids [B, S] (language models) or a tensor shaped like the output. */
  readonly target: Tensor;
}

export interface BatchShape {
  readonly batch: number;
  readonly seq: number;
}

export type LossKind = 'mse' | 'cross_entropy';

/**
 * A model description: how to build the dense model on a rank, what its inputs look like and
 * which loss trains it. It knows nothing of parallelism (../shared/STYLE.md habit 7).
 */
export interface ModelSpec<C = unknown, M extends Model = Model> {
  readonly name: string;
  readonly config: C;
  /** Build the dense model; parameter names follow HuggingFace where one exists. */
  build(p: Params): M;
  /** The global batch (all data-parallel shards), made deterministically from `seed`. */
  batch(ctx: RankContext, shape: BatchShape, seed: number): Batch;
  readonly loss: LossKind;
  /** Paths of the repeated blocks pipeline stages are cut from (e.g. ["h.0", …, "h.11"]). */
  layerPaths(): string[];
  /** Parameter count (for planning and stage balancing). */
  paramCount(): number;
  /** The forward as pre → blocks → post, for pipeline parallelism. */
  sequential?(model: M): Sequential;
}

/** A model's root module. */
export abstract class Model extends Module {}

/**
 * One step of a model's forward as a sequence, for pipeline stages: `run` reads the model's
 * current modules (so plan replacements apply) and `parameters` names the dense parameters the
 * step uses (a tied head lists the embedding's table).
 */
export interface PipelineLayer {
  readonly name: string;
  readonly kind: string;
  run(x: Tensor): Promise<Tensor>;
  parameters(): [string, Tensor][];
}

/** pre (embeddings) → blocks → post (final norm and head); the blocks are what stages split. */
export interface Sequential {
  readonly pre?: PipelineLayer;
  readonly blocks: readonly PipelineLayer[];
  readonly post?: PipelineLayer;
}

/** A module as a pipeline layer. */
export function moduleLayer(name: string, get: () => Module): PipelineLayer {
  return {
    name,
    get kind() {
      return get().kind;
    },
    run: (x) => get().call(x),
    parameters: memo(() => paramsOf(get())),
  };
}

/**
 * A parameter list computed once: `sequential(model)` is taken after the model is parallelized,
 * so the modules (and their parameters) no longer change.
 */
export function memo<T>(f: () => T): () => T {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
}

/** Dense names of a module's parameters, including a tied head's embedding table. */
export function paramsOf(...mods: Module[]): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const m of mods) {
    for (const [name, t] of m.namedParameters()) out.push([t.global?.name ?? (m.path ? `${m.path}.${name}` : name), t]);
    const emb = (m as unknown as { embedding?: { weight?: Tensor; path?: string } }).embedding;
    if (emb?.weight) out.push([emb.weight.global?.name ?? `${emb.path}.weight`, emb.weight]);
  }
  return out;
}
