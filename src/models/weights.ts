import * as tf from '@tensorflow/tfjs-core';
import type { RankContext } from '../core/context.js';
import { numel, storageDType, type DType } from '../core/dtype.js';
import { ConfigError } from '../core/errors.js';
import { REPLICATE, rangesLength, type Placement } from '../core/placement.js';
import { canRemember, deriveSeed, seededNormals } from '../core/rng.js';
import { Tensor } from '../core/tensor.js';

/**
 * How a parameter starts: N(mean, std²), zeros or ones. Synthetic models start biases and norm
 * gains slightly off 0 and 1 (N(0, 0.02²), N(1, 0.02²)), so a bias counted twice or a gain
 * applied on the wrong shard changes the numbers and the verifier sees it.
 */
export type Init = { readonly kind: 'normal'; readonly std: number; readonly mean?: number } | { readonly kind: 'zeros' } | { readonly kind: 'ones' };

export const normal = (std: number, mean = 0): Init => ({ kind: 'normal', std, mean });
export const BIAS_INIT: Init = normal(0.02);
export const GAIN_INIT: Init = normal(0.02, 1);
export const ZEROS: Init = { kind: 'zeros' };
export const ONES: Init = { kind: 'ones' };

export interface ParamDecl {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Init;
  readonly dtype: DType;
}

/**
 * The dense checkpoint every rank loads from, like a state dict on disk: one full tensor per
 * parameter name, made deterministically from (seed, name) or loaded from safetensors. The
 * unsharded reference and every rank's shards come from the same values. In meta mode only
 * shapes exist. Loading a shard is local to a rank (no traffic), as reading a checkpoint is.
 */
export class WeightStore {
  readonly mode: 'numeric' | 'meta';
  readonly seed: number;
  readonly dtype: DType;
  private readonly decls = new Map<string, ParamDecl>();
  private readonly values = new Map<string, tf.Tensor>();

  constructor(opts: { mode: 'numeric' | 'meta'; seed?: number; dtype?: DType }) {
    this.mode = opts.mode;
    this.seed = opts.seed ?? 0;
    this.dtype = opts.dtype ?? 'float32';
  }

  declare(name: string, shape: readonly number[], init: Init, dtype: DType = this.dtype): ParamDecl {
    const prev = this.decls.get(name);
    if (prev) {
      if (prev.shape.length !== shape.length || prev.shape.some((d, i) => d !== shape[i])) {
        throw new ConfigError(`parameter "${name}" is declared as [${shape.join(', ')}] but was [${prev.shape.join(', ')}]`);
      }
      return prev;
    }
    const d: ParamDecl = Object.freeze({ name, shape: Object.freeze([...shape]), init, dtype });
    this.decls.set(name, d);
    return d;
  }

  has(name: string): boolean {
    return this.decls.has(name);
  }

  decl(name: string): ParamDecl {
    const d = this.decls.get(name);
    if (!d) throw new ConfigError(`no parameter named "${name}"`, `known parameters: ${[...this.decls.keys()].slice(0, 12).join(', ')}${this.decls.size > 12 ? ', …' : ''}`);
    return d;
  }

  names(): string[] {
    return [...this.decls.keys()];
  }

  /** Replace a parameter's values (e.g. from a safetensors file). */
  load(name: string, values: Float32Array | tf.Tensor): void {
    const d = this.decl(name);
    const t = values instanceof Float32Array ? tf.tensor(values, [...d.shape]) : values;
    if (t.size !== numel(d.shape)) throw new ConfigError(`values for "${name}" have ${t.size} elements; the parameter is [${d.shape.join(', ')}]`);
    this.values.get(name)?.dispose();
    this.values.set(name, t.shape.length === d.shape.length ? t : tf.reshape(t, [...d.shape]));
  }

  /** The full dense values (numeric mode). */
  dense(name: string): tf.Tensor {
    let v = this.values.get(name);
    if (v) return v;
    const d = this.decl(name);
    const n = numel(d.shape);
    if (d.init.kind === 'normal') v = tf.tensor(seededNormals(deriveSeed(this.seed, name), n, d.init.std, d.init.mean ?? 0), [...d.shape]);
    else v = d.init.kind === 'zeros' ? tf.zeros([...d.shape], storageDType(d.dtype)) : tf.ones([...d.shape], storageDType(d.dtype));
    this.values.set(name, v);
    return v;
  }

  /**
   * Draw the seeded values of every declared parameter now, in JavaScript, without TensorFlow.js
   * (rng.ts remembers them for `dense`): the runner does this while the threaded backend starts.
   * Returns false, drawing nothing, when they would not all stay remembered.
   */
  warm(): boolean {
    const normals = [...this.decls.values()].filter((d) => d.init.kind === 'normal');
    if (!canRemember(normals.map((d) => numel(d.shape)))) return false;
    for (const d of normals) {
      const init = d.init as { std: number; mean?: number };
      seededNormals(deriveSeed(this.seed, d.name), numel(d.shape), init.std, init.mean ?? 0);
    }
    return true;
  }

  /** The whole parameter on `ctx` (Replicate). */
  full(ctx: RankContext, name: string): Tensor {
    const d = this.decl(name);
    const base = ctx.mode === 'numeric' ? ctx.borrow(this.dense(name), d.dtype) : ctx.zeros(d.shape, d.dtype);
    return this.finish(ctx, base, name, REPLICATE);
  }

  /**
   * The part of a parameter this rank holds: the index `ranges` ([start, length] pairs, in order)
   * of tensor dim `dim`, for ranks along mesh `axis`.
   */
  shard(ctx: RankContext, name: string, dim: number, ranges: readonly (readonly [number, number])[], axis: string): Tensor {
    const d = this.decl(name);
    if (dim < 0 || dim >= d.shape.length) throw new ConfigError(`"${name}" has ${d.shape.length} dims; cannot split dim ${dim}`);
    for (const [s, l] of ranges) {
      if (s < 0 || l <= 0 || s + l > d.shape[dim]) throw new ConfigError(`range [${s}, ${s + l}) is outside dim ${dim} (size ${d.shape[dim]}) of "${name}"`);
    }
    const shape = d.shape.map((x, i) => (i === dim ? rangesLength(ranges) : x));
    let base: Tensor;
    if (ctx.mode === 'numeric') {
      const full = this.dense(name);
      const v = tf.tidy(() => {
        const parts = ranges.map(([s, l]) => tf.slice(full, d.shape.map((_, i) => (i === dim ? s : 0)), d.shape.map((x, i) => (i === dim ? l : x))));
        return parts.length === 1 ? parts[0] : tf.concat(parts, dim);
      });
      base = ctx.fromTf(v, d.dtype);
    } else base = ctx.zeros(shape, d.dtype);
    return this.finish(ctx, base, name, { kind: 'shard', dim, axis, ranges: ranges.map(([s, l]) => [s, l] as const) });
  }

  private finish(ctx: RankContext, base: Tensor, name: string, placement: Placement): Tensor {
    const share = ctx.world.share;
    if (share) base.cid = share.id(`param:${this.seed}:${name}:${placement.kind === 'shard' ? `${placement.dim}@${placement.ranges.map((r) => r.join('+')).join(',')}` : 'full'}`);
    const p = ctx.param(base, name);
    p.placement = placement;
    p.global = { name, shape: this.decl(name).shape };
    return p;
  }

  dispose(): void {
    for (const v of this.values.values()) v.dispose();
    this.values.clear();
  }
}

/**
 * What a model's constructor uses to make its parameters: names are scoped by module path, so
 * "h.0.attn.c_attn.weight" comes from `params.scope("h.0").scope("attn.c_attn").get("weight", ...)`.
 */
export class Params {
  constructor(
    readonly ctx: RankContext,
    readonly store: WeightStore,
    readonly prefix = '',
  ) {}

  scope(name: string): Params {
    return new Params(this.ctx, this.store, this.prefix ? `${this.prefix}.${name}` : name);
  }

  name(local: string): string {
    return this.prefix ? `${this.prefix}.${local}` : local;
  }

  get(local: string, shape: readonly number[], init: Init, dtype?: DType): Tensor {
    const name = this.name(local);
    this.store.declare(name, shape, init, dtype);
    return this.store.full(this.ctx, name);
  }
}
