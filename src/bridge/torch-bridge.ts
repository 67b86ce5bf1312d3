import type { RankContext } from '../core/context.js';
import { numel, storageDType, type DType } from '../core/dtype.js';
import { SimError } from '../core/errors.js';
import type { ReduceOp } from '../core/ledger.js';
import type { ProcessGroup } from '../core/mesh.js';
import { sourceAt, withGivenSource, type SourceLocation } from '../core/source.js';
import { Tensor } from '../core/tensor.js';
import { callOp, hasOp } from './op-table.js';
import * as ops from '../core/ops/index.js';
import { TORCH_DEFAULT_SEED, TorchGenerator } from '../core/torch-rng.js';

/**
 * The door between AutoDist's Python `torch` and the core: the one object Python reaches (as the
 * JS module `_autodist`, through `torch/_C.py` only). Python never computes a number, a shape or
 * a gradient: each call here is one core op on the rank's context, one collective through the
 * rank's comm (so the ledger records it), or a question about a tensor.
 *
 * Sources: V8's stack cannot see Python frames, so each call carries the person's `.py` place
 * (a `SourceLocation` made once per place by `source()`), which `captureSource()` answers with
 * while the call runs.
 */
export interface PyArgs {
  toJs(opts?: object): unknown;
}

/** A Python callable as the bridge sees it (a PyProxy made with create_proxy). */
export interface PyCallable {
  callPromising(...args: unknown[]): Promise<unknown>;
}

function jsArgs(a: PyArgs | unknown[] | undefined): unknown[] {
  if (a === undefined || a === null) return [];
  if (Array.isArray(a)) return a;
  return (a as PyArgs).toJs({ dict_converter: Object.fromEntries, create_pyproxies: false }) as unknown[];
}

function jsList<T>(a: PyArgs | T[] | undefined | null): T[] | undefined {
  if (a === undefined || a === null) return undefined;
  if (Array.isArray(a)) return a;
  return (a as PyArgs).toJs({ create_pyproxies: false }) as T[];
}

/** Values of any nesting as a flat list and its shape (torch.tensor([[1, 2], [3, 4]])). */
function flatten(v: unknown): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  let x = v;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  const values = (Array.isArray(v) ? (v as unknown[]).flat(Infinity) : [v]) as (number | boolean)[];
  if (values.length !== numel(shape)) throw new SimError('shape', `torch.tensor: the nested lists are ragged (shape ${JSON.stringify(shape)} expected ${numel(shape)} values, got ${values.length})`, { fix: 'give every row the same length' });
  return { values: values.map((b) => (typeof b === 'boolean' ? (b ? 1 : 0) : b)), shape };
}

export class TorchBridge {
  /** Where each rank's printed text goes (the runner sets it per run). */
  onOutput: (rank: number, stream: 'stdout' | 'stderr', text: string) => void = () => {};

  /** Told (once per run) that a meta-mode value was read. */
  onMetaRead: (rank: number) => void = () => {};

  /** Python-made callables (autograd.Function backwards) to release when the run ends. */
  private readonly held: { destroy?(): void }[] = [];

  // ------------------------------------------------------------------ output

  output(rank: number, stream: 'stdout' | 'stderr', text: string): void {
    this.onOutput(rank, stream, text);
  }

  hasOp(name: string): boolean {
    return hasOp(name);
  }

  // ------------------------------------------------------------------ places

  source(file: string, line: number): SourceLocation {
    return sourceAt(file, line, 0);
  }

  // ------------------------------------------------------------------ ops

  /** One core op with the person's place; returns a tensor or a list of them. */
  call(src: SourceLocation | undefined, name: string, args: PyArgs | unknown[]): Tensor | Tensor[] {
    const a = jsArgs(args);
    const out = withGivenSource(src, () => callOp(name, a as never[]));
    carryProvenance(name, a, out);
    return out;
  }

  /** A tensor from (nested) values, on the rank. */
  tensor(ctx: RankContext, src: SourceLocation | undefined, data: PyArgs | number, dtype: DType, requiresGrad: boolean): Tensor {
    const v = typeof data === 'number' || typeof data === 'boolean' || Array.isArray(data) ? data : (data as PyArgs).toJs({ create_pyproxies: false });
    const { values, shape } = flatten(v);
    return withGivenSource(src, () => {
      const t = ctx.tensor(values, shape, dtype);
      t.requiresGrad = requiresGrad;
      return t;
    });
  }

  /** torch.Generator objects of this run, by handle (each rank's default ones included). */
  private readonly generators: TorchGenerator[] = [];

  /** A new torch.Generator (torch's default seed unless given); its handle. */
  genNew(seed?: number): number {
    this.generators.push(new TorchGenerator(seed ?? TORCH_DEFAULT_SEED));
    return this.generators.length - 1;
  }

  /** generator.manual_seed(seed): the low 32 bits seed the engine, as torch's. */
  genSeed(h: number, seed: number): void {
    this.gen(h).manualSeed(seed);
  }

  /** A generator's position (to put it back after draws that must not count: pipeline()'s tracing run). */
  genGetState(h: number): ReturnType<TorchGenerator['state']> {
    return this.gen(h).state();
  }

  genSetState(h: number, s: ReturnType<TorchGenerator['state']>): void {
    this.gen(h).setState(s);
  }

  private gen(h: number): TorchGenerator {
    const g = this.generators[h];
    if (!g) throw new SimError('user-exception', `torch: no generator ${h}`);
    return g;
  }

  /**
   * Random values from a torch.Generator, as torch makes them on the CPU (core/torch-rng.ts):
   * kind randn/normal (mean, std), rand/uniform (from, to), randint (low, high), randperm (n).
   * In meta mode the generator advances by the words the draw takes, and the tensor has no values.
   */
  private drawn(ctx: RankContext, kind: string, shape: readonly number[], dtype: DType, o: Record<string, number | string>): Tensor {
    const g = this.gen(Number(o.gen));
    const n = numel(shape);
    const num = (k: string, d: number) => (o[k] === undefined ? d : Number(o[k]));
    const low = num('low', 0);
    const high = num('high', 1);
    if (kind === 'randint' && !(high > low)) throw new SimError('user-exception', `random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`, { fix: 'give randint a high above low: torch.randint(low, high, size)' });
    // advance as the draw would, without values (meta mode; ranks that share another's draw)
    const skip = () => g.skip(kind === 'randn' ? 'normal' : kind === 'rand' ? 'uniform' : (kind as 'randint' | 'randperm' | 'bernoulli'), n, dtype, high - low);
    if (ctx.mode === 'meta') {
      skip();
      return ctx.zeros(shape, dtype);
    }
    const draw = (): Float64Array => {
      switch (kind) {
        case 'randn':
          return g.normal(n, num('mean', 0), num('std', 1), dtype);
        case 'rand':
          return g.uniform(n, num('from', 0), num('to', 1), dtype);
        case 'randint':
          return g.randint(n, low, high);
        case 'bernoulli':
          return g.bernoulli(n, num('p', 0.5));
        case 'randperm':
          return g.randperm(n);
        default:
          throw new SimError('user-exception', `torch: unknown random draw "${kind}"`);
      }
    };
    // values as the dtype stores them (tfjs takes no Float64Array): float32, int32 or bytes
    const stored = (v: Float64Array) => {
      const sd = storageDType(dtype);
      return sd === 'float32' ? Float32Array.from(v) : sd === 'int32' ? Int32Array.from(v) : Uint8Array.from(v);
    };
    // Ranks that seed alike draw alike (as torch's processes do): the values are made once per
    // run and shared (share.ts), so are the ops on them; each rank's generator still moves on to
    // where the draw leaves it.
    const s0 = g.state();
    const key = `torch-rng:${s0.seed}:${s0.offset}:${s0.cached}:${kind}:${Object.keys(o).filter((k) => k !== 'gen').sort().map((k) => `${k}=${o[k]}`).join(',')}:${shape.join('x')}:${dtype}`;
    let made = false;
    const t = ctx.tensor(() => {
      made = true;
      const v = stored(draw());
      this.drawnAfter.set(key, g.state());
      return v;
    }, shape, dtype, key);
    if (!made) {
      const after = this.drawnAfter.get(key);
      if (after) g.setState(after);
      else skip();
    }
    return t;
  }

  /** Where a generator stands after a draw (by the draw's content key): ranks that share the values move there. */
  private readonly drawnAfter = new Map<string, ReturnType<TorchGenerator['state']>>();

  /** zeros / ones / full / empty / randn / rand / randint / randperm / arange on the rank. */
  create(ctx: RankContext, src: SourceLocation | undefined, kind: string, shapeIn: PyArgs | number[], dtype: DType, opts: PyArgs | Record<string, unknown> | undefined, requiresGrad: boolean): Tensor {
    const shape = jsList<number>(shapeIn as PyArgs) ?? [];
    const o = (opts && typeof (opts as PyArgs).toJs === 'function' ? (opts as PyArgs).toJs({ dict_converter: Object.fromEntries }) : (opts ?? {})) as Record<string, number | string>;
    return withGivenSource(src, () => {
      let t: Tensor;
      switch (kind) {
        case 'zeros':
        case 'empty':
          t = ctx.zeros(shape, dtype);
          break;
        case 'ones':
          t = ctx.ones(shape, dtype);
          break;
        case 'full': {
          const v = Number(o.value);
          t = ops.full(ctx, shape, v, dtype);
          break;
        }
        case 'rand':
        case 'randn':
        case 'randint':
        case 'randperm':
        case 'bernoulli':
          t = this.drawn(ctx, kind, shape, dtype, o);
          break;
        case 'arange': {
          t = ops.arange(ctx, Number(o.start), Number(o.end), Number(o.step), dtype);
          break;
        }
        default:
          throw new SimError('user-exception', `torch: unknown creation "${kind}"`);
      }
      if (requiresGrad) t.requiresGrad = true;
      return t;
    });
  }

  /** A parameter (a leaf that requires grad and lives for the run) with the values of `init`. */
  param(ctx: RankContext, init: Tensor, name: string | undefined): Tensor {
    const p = ctx.param(init, name);
    p.placement = init.placement;
    p.global = init.global;
    return p;
  }

  /** `p` (a parameter or leaf) takes `v`'s values in place (nn.init): same tensor, same memory slot. */
  assignData(p: Tensor, v: Tensor): void {
    if (v.ctx !== p.ctx) throw new SimError('user-exception', `tensor ${v.describe()} belongs to rank ${v.rank} but is assigned on rank ${p.rank}`);
    p.data = v.data;
    p.cid = v.cid;
  }

  /** A copy of `t` with no history (detach): the same values, a leaf. */
  detach(t: Tensor): Tensor {
    const out = new Tensor(t.ctx, t.shape, t.dtype, t.data, false);
    out.cid = t.cid;
    out.memIndex = -1; // a view of the same storage
    out.placement = t.placement;
    out.global = t.global;
    return out;
  }

  /** Flat values (numeric mode): a plain array, which Python reads as a list. */
  values(t: Tensor): number[] {
    if (t.data === null && t.ctx.mode === 'meta') {
      // shapes only: a value read gives NaN (0 for integers), never a number that looks real
      this.onMetaRead(t.rank);
      return new Array<number>(t.size).fill(t.dtype === 'float32' || t.dtype === 'bfloat16' || t.dtype === 'float16' ? NaN : 0);
    }
    if (t.data === null) throw new SimError('user-exception', `tensor ${t.describe()} on rank ${t.rank} has no values: this run is in meta mode (shapes only)`, { fix: 'print .shape instead of values in meta mode, or run without --meta' });
    return Array.from(t.valuesSync());
  }

  // ------------------------------------------------------------------ autograd

  backward(ctx: RankContext, src: SourceLocation | undefined, t: Tensor, grad: Tensor | undefined | null): Promise<void> {
    return withGivenSource(src, () => ctx.backward(t, grad ?? undefined));
  }

  setGradEnabled(ctx: RankContext, on: boolean): boolean {
    const prev = ctx.gradEnabled;
    ctx.gradEnabled = on;
    return prev;
  }

  /** Label what the rank does next with `phase` (a pipeline stage's backward transfers); returns the previous one. */
  setPhase(ctx: RankContext, phase: RankContext['phase']): RankContext['phase'] {
    const prev = ctx.phase;
    ctx.phase = phase;
    return prev;
  }

  /**
   * While set, this rank's compute ops take no time and leave nothing on the trace (pipelining's
   * `pipeline()` runs the model once to learn its call order: not a step of the person's program).
   * Returns the previous setting.
   */
  setUntimed(ctx: RankContext, on: boolean): boolean {
    const prev = ctx.untimed;
    ctx.untimed = on;
    return prev;
  }

  setRequiresGrad(t: Tensor, on: boolean): void {
    t.requiresGrad = on;
  }

  setGrad(t: Tensor, g: Tensor | null | undefined): void {
    t.grad = g ?? null;
  }

  retainGrad(t: Tensor): void {
    t.retainGrad = true;
  }

  /**
   * torch.autograd.Function: `out` (computed by the Python forward with autograd off) gets a
   * gradient node over `inputs` whose backward calls the Python `backward(dy)` — which may run
   * collectives — and returns one gradient (or null) per input.
   */
  customGrad(ctx: RankContext, out: Tensor, inputsIn: PyArgs | Tensor[], backward: PyCallable & { destroy?(): void }, name: string): Tensor {
    const inputs = (jsList<Tensor>(inputsIn as PyArgs) ?? []).filter((x) => x instanceof Tensor);
    this.held.push(backward);
    return ctx.customGrad(out, inputs, async (dy) => {
      const r = (await backward.callPromising(dy)) as PyArgs | Tensor[] | null;
      const list = (jsList<Tensor | null>(r as PyArgs) ?? []).map((g) => (g instanceof Tensor ? g : null));
      return list;
    }, name);
  }

  // ------------------------------------------------------------------ modules

  enterModule(ctx: RankContext, name: string, site: SourceLocation | undefined): void {
    ctx.moduleStack.push(name);
    ctx.moduleSites.push(site);
  }

  exitModule(ctx: RankContext): void {
    ctx.moduleStack.pop();
    ctx.moduleSites.pop();
  }

  // ------------------------------------------------------------------ communication

  group(ctx: RankContext, ranks: PyArgs | number[] | null | undefined): ProcessGroup {
    const r = jsList<number>(ranks as PyArgs);
    return r ? ctx.mesh.group(r) : ctx.mesh.world();
  }

  /**
   * One collective through the rank's comm (the ledger records it). Returns a promise that Python
   * waits on with run_sync; the result is the new tensor (Python copies it into the caller's
   * buffer, as torch's collectives work in place).
   */
  collective(ctx: RankContext, src: SourceLocation | undefined, op: string, x: Tensor | null, group: ProcessGroup, opts: PyArgs | Record<string, unknown> | undefined): Promise<Tensor | Tensor[] | number | undefined> {
    const o = (opts && typeof (opts as PyArgs).toJs === 'function' ? (opts as PyArgs).toJs({ dict_converter: Object.fromEntries, create_pyproxies: false }) : (opts ?? {})) as Record<string, unknown>;
    const c = ctx.comm;
    const label = o.label as string | undefined;
    return withGivenSource(src, () => {
      switch (op) {
        case 'all_reduce':
          return c.allReduce(x!, { group, op: (o.op as ReduceOp) ?? 'sum', label });
        case 'all_gather':
          return c.allGather(x!, { group, dim: (o.dim as number) ?? 0, label });
        case 'reduce_scatter':
          return c.reduceScatter(x!, { group, dim: (o.dim as number) ?? 0, op: (o.op as ReduceOp) ?? 'sum', label });
        case 'broadcast':
          return c.broadcast(x!, { group, src: o.src as number, label });
        case 'reduce':
          return c.reduce(x!, { group, dst: o.dst as number, op: (o.op as ReduceOp) ?? 'sum', label });
        case 'all_to_all':
          return c.allToAll(x!, { group, splitDim: 0, concatDim: 0, label });
        case 'barrier':
          return c.barrier({ group, label }).then(() => undefined);
        case 'send':
          return c.send(x!, o.dst as number, { tag: (o.tag as number) ?? 0 }).then(() => undefined);
        case 'recv':
          return c.recv({ shape: x!.shape, dtype: x!.dtype }, o.src as number, { tag: (o.tag as number) ?? 0 });
        case 'recv_any': // whatever shape the sender sent (a pipeline stage's input)
          return c.recvAny(o.src as number, { tag: (o.tag as number) ?? 0 });
        default:
          return Promise.reject(new SimError('user-exception', `torch.distributed: unknown collective "${op}"`));
      }
    });
  }

  /**
   * isend: posts the send now and returns its wait, which Python's Work.wait() calls (so the rank
   * may recv or compute between the two, as with torch's isend).
   */
  isend(ctx: RankContext, src: SourceLocation | undefined, x: Tensor, dst: number, tag: number): () => Promise<void> {
    const work = withGivenSource(src, () => ctx.comm.isend(x, dst, { tag }));
    return () => work.wait();
  }

  /** irecv: posts the receive now and returns its wait (the received tensor), which Work.wait() calls. */
  irecv(ctx: RankContext, src: SourceLocation | undefined, like: Tensor, from: number, tag: number): () => Promise<Tensor> {
    const work = withGivenSource(src, () => ctx.comm.irecv({ shape: like.shape, dtype: like.dtype }, from, { tag }));
    return () => work.wait();
  }

  /**
   * Where the run first dealt each rank its own share of the data (a DistributedSampler over more
   * than one replica): one world-size-1 run is then no reference. The runner reads and clears it.
   */
  private dealtAt: SourceLocation | undefined;

  /** dealtAt, cleared. */
  takeDealt(): SourceLocation | undefined {
    const d = this.dealtAt;
    this.dealtAt = undefined;
    return d;
  }

  /** torch.utils.data: a sampler gives each rank its own samples (the first place is kept). */
  dealtPerRank(src: SourceLocation | undefined): void {
    this.dealtAt ??= src ?? { file: '', line: 0, column: 0 };
  }

  /** Release what Python lent for the run (autograd.Function backwards). */
  dispose(): void {
    this.drawnAfter.clear();
    this.generators.length = 0;
    for (const h of this.held.splice(0)) {
      try {
        h.destroy?.();
      } catch {
        /* already released */
      }
    }
  }
}

/**
 * A piece cut out of a whole tensor (narrow, split, chunk, slicing) remembers which index range
 * of which dim of the whole it holds, so the verifier re-assembles gradients exactly (as
 * placements do in the TypeScript path); copies (clone, cast) keep what their input had.
 */
const CUTS = new Set(['narrow', 'split_sizes']);
const COPIES = new Set(['cast', 'add_scalar', 'detach']);

function carryProvenance(name: string, args: unknown[], out: Tensor | Tensor[]): void {
  const x = args[0];
  if (!(x instanceof Tensor)) return;
  if (COPIES.has(name) && !Array.isArray(out)) {
    if (x.placement && out.shape.length === x.shape.length) {
      out.placement = x.placement;
      out.global = x.global;
    }
    return;
  }
  if (!CUTS.has(name)) return;
  const dim = args[1] as number;
  const pieces = Array.isArray(out) ? out : [out];
  let start = name === 'narrow' ? (args[2] as number) : 0;
  for (const p of pieces) {
    const len = p.shape[dim];
    const base = x.placement?.kind === 'shard' && x.placement.dim === dim && x.placement.ranges.length === 1 ? x.placement.ranges[0][0] : 0;
    if (!x.placement || (x.placement.kind === 'shard' && x.placement.dim === dim && x.placement.ranges.length === 1)) {
      p.placement = { kind: 'shard', dim, axis: 'world', ranges: [[base + start, len]] };
      p.global = x.global ?? { name: x.name ?? '', shape: x.shape };
    }
    start += len;
  }
}
