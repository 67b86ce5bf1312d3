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
export interface ModelSpec<C = unknown> {
  readonly name: string;
  readonly config: C;
  /** Build the dense model; parameter names follow HuggingFace where one exists. */
  build(p: Params): Model;
  /** The global batch (all data-parallel shards), made deterministically from `seed`. */
  batch(ctx: RankContext, shape: BatchShape, seed: number): Batch;
  readonly loss: LossKind;
  /** Paths of the repeated blocks pipeline stages are cut from (e.g. ["h.0", …, "h.11"]). */
  layerPaths(): string[];
  /** Parameter count (for planning and stage balancing). */
  paramCount(): number;
}

/** A model's root module. */
export abstract class Model extends Module {}
