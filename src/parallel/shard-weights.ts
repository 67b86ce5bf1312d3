import type { RankContext } from '../core/context.js';
import { ConfigError } from '../core/errors.js';
import { captureSource } from '../core/source.js';
import type { Tensor } from '../core/tensor.js';
import type { Module } from '../models/nn/module.js';
import type { WeightStore } from '../models/weights.js';
import type { AxisInfo } from './axis.js';

/** A linear layer's local weight and bias. */
export interface LinearShard {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
}

/** `tp` as a size (this rank's index along "tp" is used) or as an AxisInfo. */
export type TpArg = number | AxisInfo;

/**
 * One parameter of the dense checkpoint, as a rank sees it before loading: split it, or take it
 * whole. `split(dim, tp)` is the seed's `weights[name]['weight'][rank]`.
 */
export class WeightRef {
  constructor(
    private readonly ctx: RankContext,
    private readonly store: WeightStore,
    readonly name: string,
  ) {}

  get shape(): readonly number[] {
    return this.store.decl(this.name).shape;
  }

  /** The whole tensor (Replicate). */
  full(): Tensor {
    return this.store.full(this.ctx, this.name);
  }

  /** This rank's contiguous part of `dim` (Shard(dim) over the tp axis). */
  split(dim: number, tp: TpArg): Tensor {
    const t = this.axis(tp);
    const d = this.dim(dim);
    const size = this.shape[d];
    if (size % t.size !== 0) {
      throw new ConfigError(
        `cannot split "${this.name}" ${fmt(this.shape)} along dim ${d} into ${t.size} parts: ${size} is not divisible by ${t.size}`,
        `use a ${t.axis} size that divides ${size}, or split another dim`,
        captureSource(),
      );
    }
    const len = size / t.size;
    return this.store.shard(this.ctx, this.name, d, [[t.index * len, len]], t.axis);
  }

  /**
   * Split a fused weight whose `dim` stacks `parts` equal blocks (GPT-2's c_attn [H, 3H] = q|k|v)
   * per block: rank i takes the i-th slice of every block, so its local tensor is q_i|k_i|v_i —
   * Megatron's per-q/k/v, per-head split. A plain split(1, tp) of a fused weight is wrong.
   */
  splitFused(parts: number, dim: number, tp: TpArg): Tensor {
    const t = this.axis(tp);
    const d = this.dim(dim);
    const size = this.shape[d];
    if (size % parts !== 0 || (size / parts) % t.size !== 0) {
      throw new ConfigError(
        `cannot split fused "${this.name}" ${fmt(this.shape)}: dim ${d} (${size}) is not ${parts} blocks divisible by ${t.axis}=${t.size}`,
        `each of the ${parts} blocks (${size / parts}) must divide by ${t.size}`,
        captureSource(),
      );
    }
    const block = size / parts;
    const len = block / t.size;
    const ranges: [number, number][] = [];
    for (let b = 0; b < parts; b++) ranges.push([b * block + t.index * len, len]);
    return this.store.shard(this.ctx, this.name, d, ranges, t.axis);
  }

  private axis(tp: TpArg): AxisInfo {
    if (typeof tp === 'number') {
      const size = this.ctx.axisSize('tp');
      if (tp !== size) throw new ConfigError(`split into ${tp} parts, but the mesh has tp=${size}`, `pass tp (the AxisInfo) or ${size}`, captureSource());
      return { axis: 'tp', size, index: this.ctx.coord('tp') };
    }
    return tp;
  }

  private dim(dim: number): number {
    const n = this.shape.length;
    const d = dim < 0 ? dim + n : dim;
    if (d < 0 || d >= n) throw new ConfigError(`"${this.name}" has ${n} dims; dim ${dim} does not exist`, `split along a dim from ${-n} to ${n - 1}: for a [in, out] Linear weight, 1 (columns, ColumnParallelLinear) or 0 (rows, RowParallelLinear)`, captureSource());
    return d;
  }
}

/**
 * The weights of one module (`weights["h.0.mlp.c_fc"]`): `.weight`, `.bias`, and splits that
 * keep weight and bias consistent. Linear weights are [in, out]:
 *   split(1, tp)  column-parallel: W[:, cols], b[cols]
 *   split(0, tp)  row-parallel:    W[rows, :], b whole (added once, after the all-reduce)
 */
export class ModuleWeights {
  readonly weight: WeightRef;
  readonly bias: WeightRef | null;

  constructor(
    ctx: RankContext,
    store: WeightStore,
    readonly path: string,
  ) {
    const w = path ? `${path}.weight` : 'weight';
    const b = path ? `${path}.bias` : 'bias';
    if (!store.has(w)) throw new ConfigError(`module "${path}" has no weight`, undefined, captureSource());
    this.weight = new WeightRef(ctx, store, w);
    this.bias = store.has(b) ? new WeightRef(ctx, store, b) : null;
  }

  split(dim: number, tp: TpArg): LinearShard {
    const d = dim < 0 ? dim + this.weight.shape.length : dim;
    const weight = this.weight.split(d, tp);
    const bias = this.bias ? (d === this.weight.shape.length - 1 ? this.bias.split(0, tp) : this.bias.full()) : null;
    return { weight, bias };
  }

  /** Column split of a fused [in, parts·out] weight (and its bias), per block. */
  splitFused(parts: number, tp: TpArg): LinearShard {
    const d = this.weight.shape.length - 1;
    return { weight: this.weight.splitFused(parts, d, tp), bias: this.bias ? this.bias.splitFused(parts, 0, tp) : null };
  }

  full(): LinearShard {
    return { weight: this.weight.full(), bias: this.bias?.full() ?? null };
  }
}

/** `weights` handed to a parallelize function: module path → ModuleWeights (dotted keys work too). */
export type WeightHandles = Readonly<Record<string, ModuleWeights>>;

export function weightHandles(ctx: RankContext, store: WeightStore, root: Module): WeightHandles {
  const out: Record<string, ModuleWeights> = {};
  for (const [path, m] of root.namedModules()) {
    if (!path) continue;
    if (m.ownParameters().some(([k]) => k === 'weight')) out[path] = new ModuleWeights(ctx, store, path);
  }
  return out;
}

function fmt(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}
