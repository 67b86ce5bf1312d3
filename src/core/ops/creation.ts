import type { RankContext } from '../context.js';
import { numel, storageDType, type DType } from '../dtype.js';
import { SimError } from '../errors.js';
import { Rng, deriveSeed } from '../rng.js';
import { captureSource } from '../source.js';
import type { Tensor } from '../tensor.js';

/**
 * PyTorch's tensor factories on a rank: arange, full, eye, rand, randint (zeros, ones and randn
 * are RankContext methods). Values are made only in numeric mode; meta mode keeps the shape.
 * Equal arguments give equal values on every rank (and are made once, shared: share.ts).
 * Random ones are drawn from a seed as ctx.randn: `seed` (default: the run's) and a `key` that
 * derives an independent stream, so the same call gives the same values in every mode.
 */

export interface RandomOpts {
  readonly seed?: number;
  readonly key?: string;
  readonly dtype?: DType;
}

function badArgs(ctx: RankContext, message: string, fix: string): SimError {
  return new SimError('shape', `rank ${ctx.rank}: ${message}`, { ranks: [{ rank: ctx.rank, source: captureSource(), detail: 'called here' }], fix });
}

function checkShape(ctx: RankContext, shape: readonly number[], op: string): void {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw badArgs(ctx, `${op}: [${shape.join(', ')}] is not a shape`, 'sizes must be non-negative integers');
}

/** The values of a typed dtype (bool and integers as given, floats as float32). */
function typed(dtype: DType, n: number): Float32Array | Int32Array | Uint8Array {
  const s = storageDType(dtype);
  return s === 'float32' ? new Float32Array(n) : s === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

/**
 * torch.arange(start, end, step): start, start + step, ... while < end (> end for a negative
 * step). dtype: int64 when start, end and step are integers, else float32 (PyTorch's default).
 */
export function arange(ctx: RankContext, start: number, end: number, step = 1, dtype?: DType): Tensor {
  if (step === 0 || !Number.isFinite(step)) throw badArgs(ctx, `arange: step must be a non-zero finite number, got ${step}`, 'give a step such as 1');
  if ((end - start) * step < 0) throw badArgs(ctx, `arange: the range [${start}, ${end}) is inconsistent with step ${step}`, 'use a positive step when end > start, a negative one when end < start');
  const d = dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : 'float32');
  const n = Math.max(0, Math.ceil((end - start) / step));
  return ctx.tensor(() => {
    const v = typed(d, n);
    for (let i = 0; i < n; i++) v[i] = start + i * step;
    return v;
  }, [n], d, `arange:${start}:${end}:${step}`);
}

/** torch.full(shape, value): dtype bool for a boolean, int64 for an integer, else float32 (unless given). */
export function full(ctx: RankContext, shape: readonly number[], value: number | boolean, dtype?: DType): Tensor {
  checkShape(ctx, shape, 'full');
  const d = dtype ?? (typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int64' : 'float32');
  const v = Number(value);
  return ctx.tensor(() => typed(d, numel(shape)).fill(v), shape, d, `full:${v}`);
}

/** torch.eye(n, m): ones on the diagonal of an [n, m] matrix. */
export function eye(ctx: RankContext, n: number, m = n, dtype: DType = 'float32'): Tensor {
  checkShape(ctx, [n, m], 'eye');
  return ctx.tensor(() => {
    const v = typed(dtype, n * m);
    for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
    return v;
  }, [n, m], dtype, 'eye');
}

/** torch.rand(shape): uniform in [0, 1), from a seed (see RandomOpts). */
export function rand(ctx: RankContext, shape: readonly number[], opts: RandomOpts = {}): Tensor {
  checkShape(ctx, shape, 'rand');
  const seed = deriveSeed(deriveSeed(opts.seed ?? ctx.world.seed, opts.key ?? ''), 'uniform');
  return ctx.tensor(() => new Rng(seed).fillUniform(new Float32Array(numel(shape))), shape, opts.dtype ?? 'float32', `rand:${seed}`);
}

/** torch.randint(low, high, shape): integers uniform in [low, high), int64 unless given, from a seed. */
export function randint(ctx: RankContext, low: number, high: number, shape: readonly number[], opts: RandomOpts = {}): Tensor {
  checkShape(ctx, shape, 'randint');
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw badArgs(ctx, `randint: [${low}, ${high}) is not a non-empty integer range`, 'give integers low < high');
  const seed = deriveSeed(deriveSeed(opts.seed ?? ctx.world.seed, opts.key ?? ''), 'randint');
  return ctx.tensor(() => {
    const v = new Rng(seed).fillInt(new Int32Array(numel(shape)), high - low);
    for (let i = 0; i < v.length; i++) v[i] += low;
    return v;
  }, shape, opts.dtype ?? 'int64', `randint:${seed}:${low}:${high}`);
}

