import * as tf from '@tensorflow/tfjs-core';
import { gemmOfOperands, gemmTimeUs, roofline, type ComputeDType, type HardwarePreset } from './cost/index.js';
import { bytesOf, DTYPES, isDType, numel, storageDType, type DType } from './dtype.js';
import { notATensor, SimError } from './errors.js';
import type { Phase } from './ledger.js';
import { MemoryTracker } from './memory.js';
import { Rng, deriveSeed, seededNormals } from './rng.js';
import { captureSource, type SourceLocation } from './source.js';
import { Tensor, type BackwardFn } from './tensor.js';
import { STREAM_TAG, traceEvent, type TraceEvent } from './trace.js';
import type { World } from './world.js';
import type { Comm } from './collectives/comm.js';
import { runBackward } from './autograd.js';
import type { ReplayEntry } from './replay.js';
import type { SegmentRecorder } from './segment.js';

export type Mode = 'numeric' | 'meta';

/** What an op tells the context: enough to compute it (numeric), infer it (meta), cost it and differentiate it. */
export interface OpSpec {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly flops: number;
  /** Bytes read and written in HBM; defaults to inputs + output. */
  readonly bytes?: number;
  /** Numeric mode only: the TensorFlow.js computation. */
  readonly compute: () => tf.Tensor;
  readonly backward?: BackwardFn;
  /**
   * A view of its one input (reshape, narrow, broadcast, a transposed matmul operand): no
   * simulated time, no memory of its own — it shares its input's, so whatever keeps the view
   * alive keeps the input alive.
   */
  readonly free?: boolean;
  /**
   * The op's attributes as a string ("" if none), declaring that its result depends only on
   * them, its inputs and its output shape — so identical work on several ranks is done once.
   * Leave undefined when the result depends on anything else (the rank, a captured tensor).
   */
  readonly key?: string;
  /**
   * What the backward reads, so the memory figures keep exactly that alive until it runs:
   * "inputs" (default), "output", "none" (add, reshape: only shapes), or the tensors.
   */
  readonly saves?: 'inputs' | 'output' | 'none' | readonly Tensor[];
  /** Write the result into this tensor's memory (an in-place update: no new allocation). */
  readonly into?: Tensor;
  /**
   * The work runs inside the kernel that produced an input (an epilogue): no time, no trace
   * event of its own — e.g. Megatron's gradient-accumulation fusion, where the weight-gradient
   * GEMM adds into the fp32 main_grad.
   */
  readonly fused?: boolean;
  /**
   * The op's own time model, µs on `hw`, for a kernel the roofline of `flops` and `bytes` does not
   * describe (FlashAttention: causal blocks skipped, its fitted efficiency — cost/attention.ts).
   */
  readonly timeUs?: (hw: HardwarePreset) => number;
}

/**
 * One simulated rank: its coordinates, clock, phase, autograd switch, and the door to the other
 * ranks (`comm`). Everything a rank does goes through here, so that the same program runs in
 * numeric and meta mode and every op lands on the timeline.
 */
export class RankContext {
  readonly rank: number;
  readonly world: World;
  readonly coords: Readonly<Record<string, number>>;
  readonly memory = new MemoryTracker();
  /** Simulated time of this rank, in µs. */
  clock = 0;
  /** When each of this rank's communication streams is next free, µs (collectives run there by onCommStream overlap compute). */
  readonly commFreeUs = new Map<string, number>();
  /** Simulated time each leaf's gradient was last accumulated (the backward's), for reductions that overlap it. */
  readonly gradReadyUs = new Map<Tensor, number>();
  phase: Phase = 'forward';
  gradEnabled = true;
  /** Set by a model run with pp > 1: its pipeline runtime moves activations between stages (see Comm's stage-edge check). */
  pipelineRuntime = false;
  /** Module path stack, e.g. ["h.0", "h.0.attn", "h.0.attn.c_attn"]. */
  readonly moduleStack: string[] = [];
  /** Where each module on the stack was built (the fallback source of ops inside library layers). */
  readonly moduleSites: (SourceLocation | undefined)[] = [];
  /** A free-form tag put on trace events (microbatch, stage ...). */
  tag: string | undefined = undefined;
  /** The last line of the person's code this rank was seen at (an op's or a collective's source), for stop reports. */
  lastSource: SourceLocation | undefined = undefined;
  comm!: Comm;
  /** Set while a stretch of this rank's program is recorded for replay (segment.ts, meta mode). */
  segment: SegmentRecorder | null = null;
  /** While set, compute ops are not charged (no time, no flops, no trace event): a look at the program that is not part of it. */
  untimed = false;
  /** When set, every op is recorded for `replayGradients` (the verifier's reference run). */
  replay: ReplayEntry[] | null = null;
  private readonly owned: tf.Tensor[] = [];
  private readonly finalizers: (() => void)[] = [];

  constructor(world: World, rank: number) {
    this.world = world;
    this.rank = rank;
    this.coords = world.mesh.coords(rank);
  }

  get mode(): Mode {
    return this.world.mode;
  }

  get mesh() {
    return this.world.mesh;
  }

  get worldSize(): number {
    return this.world.mesh.worldSize;
  }

  /** This rank's coordinate along a mesh axis (0 when the axis is absent). */
  coord(axis: string): number {
    return this.coords[axis] ?? 0;
  }

  /** The size of a mesh axis (1 when absent). */
  axisSize(axis: string): number {
    return this.world.mesh.has(axis) ? this.world.mesh.size(axis) : 1;
  }

  get module(): string | undefined {
    const s = this.moduleStack;
    return s.length ? s[s.length - 1] : undefined; // (s[-1] would be a slow named-property lookup)
  }

  // ---------------------------------------------------------------- tensors

  /** Adopt a TensorFlow.js tensor (numeric mode) so it is freed with the run. */
  own<T extends tf.Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  /** Wrap values (numeric) or only a shape (meta). */
  private leaf(shape: readonly number[], dtype: DType, make: () => tf.Tensor, requiresGrad: boolean, pinned: boolean, contentKey?: string, borrowed = false): Tensor {
    this.checkAlive();
    this.checkLeaf(shape, dtype);
    if (this.world.sourceMode === 'all') this.lastSource = captureSource() ?? this.lastSource;
    // a value described by its content (a seeded random tensor, zeros) is made once per run and
    // shared by the ranks that ask for it, as replicated op outputs are (share.ts)
    const share = contentKey !== undefined ? this.world.share : null;
    const cid = share ? share.id(`${contentKey}|${shape.join('x')}|${dtype}`) : 0;
    let data: tf.Tensor | null = null;
    if (this.mode === 'numeric') {
      const hit = share ? share.take(cid) : undefined;
      data = borrowed ? make() : this.own(hit ?? make());
      if (share && !hit && !borrowed) share.put(cid, data);
    }
    const t = new Tensor(this, shape, dtype, data, requiresGrad);
    t.cid = cid;
    t.memIndex = this.memory.make(bytesOf(numel(shape), dtype), pinned);
    return t;
  }

  /** A new tensor's shape and dtype, as the person wrote them: whole sizes ≥ 0, a known dtype. */
  private checkLeaf(shape: readonly number[], dtype: DType): void {
    const bad = (headline: string, fix: string) => new SimError('config', headline, { ranks: [{ rank: this.rank, source: captureSource(), detail: 'tensor created here' }], fix });
    if (!isDType(dtype)) throw bad(`unknown dtype ${JSON.stringify(dtype) ?? String(dtype)}`, `use one of ${DTYPES.map((d) => `"${d}"`).join(', ')}`);
    if (!Array.isArray(shape)) throw bad(`a tensor's shape must be an array of sizes, got ${typeof shape}`, 'pass a shape like [4, 8]');
    for (const n of shape) {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad(`the shape [${shape.map((x) => (typeof x === 'number' ? String(x) : (JSON.stringify(x) ?? String(x)))).join(', ')}] holds ${typeof n === 'number' ? n : `the ${typeof n} ${JSON.stringify(n)}`}; sizes are whole numbers ≥ 0`, 'pass a shape like [4, 8]');
    }
    // a numeric tensor lives in one typed array: past 2^30 values (4 GiB of float32) it cannot be made
    const count = numel(shape);
    if (this.mode === 'numeric' && count > 2 ** 30) {
      throw bad(`a tensor of shape [${shape.join(', ')}] holds ${count.toExponential(2)} values, too many to hold in numeric mode (at most 2^30)`, 'simulate shapes, bytes and time only with --meta (mode: "meta"), or use a smaller shape');
    }
  }

  /** A tensor from values (numeric mode; in meta mode only the shape is kept). */
  tensor(values: ArrayLike<number> | (() => ArrayLike<number>), shape: readonly number[], dtype: DType = 'float32', contentKey?: string): Tensor {
    return this.leaf(shape, dtype, () => {
      const v = typeof values === 'function' ? values() : values;
      if (v.length !== numel(shape)) {
        throw new SimError('shape', `${v.length} values do not fill the shape [${shape.join(', ')}] (${numel(shape)} elements)`, {
          ranks: [{ rank: this.rank, source: captureSource(), detail: 'tensor created here' }],
        });
      }
      return tf.tensor(v as number[], [...shape], storageDType(dtype));
    }, false, false, contentKey === undefined ? undefined : `values:${contentKey}`);
  }

  /** Wrap an existing TensorFlow.js tensor (numeric mode); this rank frees it when the run ends. */
  fromTf(t: tf.Tensor, dtype: DType = t.dtype as DType, requiresGrad = false): Tensor {
    return this.leaf(t.shape, dtype, () => t, requiresGrad, false);
  }

  /** Use a tensor someone else owns and frees (a weight store's dense values): no copy, no free. */
  borrow(t: tf.Tensor, dtype: DType = t.dtype as DType): Tensor {
    return this.leaf(t.shape, dtype, () => t, false, false, undefined, true);
  }

  zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return this.leaf(shape, dtype, () => tf.zeros([...shape], storageDType(dtype)), false, false, 'zeros');
  }

  ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return this.leaf(shape, dtype, () => tf.ones([...shape], storageDType(dtype)), false, false, 'ones');
  }

  /** Shape-only tensor (any mode): for recv buffers and meta programs. */
  empty(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return this.zeros(shape, dtype);
  }

  /**
   * Normal(0, std²) values from a seed: the same seed gives the same values on every rank, in
   * every mode and on every backend. `key` derives an independent stream (e.g. a parameter name).
   */
  randn(shape: readonly number[], opts: { seed?: number; key?: string; std?: number; dtype?: DType; requiresGrad?: boolean } = {}): Tensor {
    const seed = deriveSeed(opts.seed ?? this.world.seed, opts.key ?? '');
    return this.leaf(shape, opts.dtype ?? 'float32', () => tf.tensor(seededNormals(seed, numel(shape), opts.std ?? 1), [...shape]), opts.requiresGrad ?? false, false, `randn:${seed}:${opts.std ?? 1}`);
  }

  /** Integers in [0, high) from a seed (token ids). */
  randint(shape: readonly number[], high: number, opts: { seed?: number; key?: string } = {}): Tensor {
    const seed = deriveSeed(opts.seed ?? this.world.seed, opts.key ?? '');
    return this.leaf(shape, 'int32', () => tf.tensor(new Rng(seed).fillInt(new Int32Array(numel(shape)), high), [...shape], 'int32'), false, false, `randint:${seed}:${high}`);
  }

  /** A trainable parameter: a leaf that requires grad and stays live for the whole run. */
  param(init: Tensor, name?: string): Tensor {
    if (init.ctx !== this) throw crossRank(init, this);
    const p = new Tensor(this, init.shape, init.dtype, init.data, true);
    p.cid = init.cid;
    p.name = name ?? init.name;
    p.memIndex = this.memory.make(bytesOf(numel(p.shape), p.dtype), true);
    return p;
  }

  // ---------------------------------------------------------------- ops

  /** Run one op: compute (numeric) or infer (meta), charge its time, trace it, tape it. */
  apply(spec: OpSpec): Tensor {
    this.checkAlive();
    let inBytes = 0;
    for (const x of spec.inputs) {
      if (x.ctx !== this) throw crossRank(x, this);
      inBytes += bytesOf(x.size, x.dtype);
    }
    let data: tf.Tensor | null = null;
    const share = this.world.share;
    let cid = 0;
    if (share && spec.key !== undefined && !this.replay) {
      let ok = true;
      let ins = '';
      for (const x of spec.inputs) {
        if (x.cid === 0) {
          ok = false;
          break;
        }
        ins += `${x.cid},`;
      }
      if (ok) cid = share.id(`${spec.name}|${spec.key}|${spec.shape.join('x')}|${spec.dtype}|${ins}`);
    }
    if (this.mode === 'numeric') {
      for (const x of spec.inputs) x.requireData();
      const hit = cid ? share!.take(cid) : undefined;
      data = this.own(hit ?? spec.compute());
      if (cid && !hit) share!.put(cid, data);
    }
    const out = new Tensor(this, spec.shape, spec.dtype, data);
    out.cid = cid;
    if (this.replay) this.replay.push({ out, compute: spec.compute });
    const outBytes = bytesOf(out.size, out.dtype);
    this.memory.tick();
    for (const x of spec.inputs) this.memory.use(x.memIndex);
    // a view (free op) owns no memory: it reads its input's, so using it keeps that alive
    out.memIndex = spec.free ? (spec.inputs.length === 1 ? spec.inputs[0].memIndex : -1) : spec.into ? spec.into.memIndex : this.memory.alloc(outBytes);
    if (!spec.free && !spec.fused) this.charge(spec.name, spec.flops, spec.bytes ?? inBytes + outBytes, spec.dtype, spec.inputs, spec.shape, spec.timeUs);
    if (spec.backward && this.gradEnabled && spec.inputs.some((x) => x.requiresGrad)) {
      out.requiresGrad = true;
      const sv = spec.saves ?? 'inputs';
      const saved = sv === 'inputs' ? spec.inputs : sv === 'output' ? [out] : sv === 'none' ? [] : sv;
      out.node = { op: spec.name, inputs: spec.inputs, saved, backward: spec.backward, module: this.module, site: this.moduleSite() };
    }
    return out;
  }

  /**
   * A second output of the op just applied, kept only for its backward (a dropout mask,
   * FlashAttention's log-sum-exp): memory from this op on, no time of its own (the op's kernel
   * wrote it), no values (nothing reads it but the memory figures).
   */
  aux(shape: readonly number[], dtype: DType): Tensor {
    const t = new Tensor(this, shape, dtype, null);
    t.memIndex = this.memory.alloc(bytesOf(t.size, dtype));
    return t;
  }

  /**
   * Give `out` a custom gradient (like torch.autograd.Function): `backward(dy)` returns one
   * gradient per input and may run collectives. Used for ops whose forward is a collective with
   * a non-default backward (Megatron's sequence-parallel gather, vocab-parallel cross-entropy).
   */
  customGrad(out: Tensor, inputs: readonly Tensor[], backward: BackwardFn, name: string): Tensor {
    if (this.gradEnabled && inputs.some((x) => x.requiresGrad)) {
      out.requiresGrad = true;
      out.node = { op: name, inputs, backward, module: this.module, site: this.moduleSite() };
    }
    return out;
  }

  /** Advance this rank's clock by a compute op's roofline time (a matmul's: by its GEMM shape) and put it on the trace. */
  charge(name: string, flops: number, bytes: number, dtype: DType, inputs?: readonly Tensor[], outShape?: readonly number[], timeUs?: (hw: HardwarePreset) => number): void {
    if (this.untimed) return;
    const w = this.world;
    const start = this.clock;
    // a matmul is timed by its shape (tile and wave quantization, ./cost/gemm.ts), as the planner
    // times it; an op with a time model of its own by that (FlashAttention); the rest by the roofline
    const gemm = name === 'matmul' && inputs?.length === 2 ? gemmOfOperands(inputs[0].shape, inputs[1].shape) : undefined;
    this.clock += gemm ? gemmTimeUs(gemm, computeDType(dtype), w.hardware) : timeUs ? timeUs(w.hardware) : roofline(flops, bytes, computeDType(dtype), w.hardware);
    w.computeFlops[this.rank] += flops;
    if (w.traceCompute) {
      // every field, in traceEvent's order (one object shape for all events)
      this.record({
        rank: this.rank,
        kind: 'compute',
        name,
        phase: this.phase,
        startUs: start,
        endUs: this.clock,
        inShapes: inputs?.map((x) => x.shape),
        outShape,
        flops,
        ledgerSeq: undefined,
        source: w.sourceMode === 'all' ? (this.lastSource = this.opSource()) : undefined,
        module: this.module,
        tag: this.tag,
      });
    }
  }

  /** Put an event of this rank's own program on the trace. */
  record(e: TraceEvent): void {
    this.segment?.trace(e);
    this.world.pushTrace(e);
  }

  /**
   * Put on the trace this rank's comm event in collective `seq` (ledger entry), when its phase,
   * source and module are the entry's: kept compact (trace-log.ts).
   */
  recordComm(seq: number): void {
    this.world.pushComm(seq, this.rank, this.tag);
    if (this.segment) this.segment.trace(this.world.trace.comm(seq, this.rank, this.tag));
  }

  /** Run `fn` with autograd off (like torch.no_grad). */
  noGrad<T>(fn: () => T): T {
    const prev = this.gradEnabled;
    this.gradEnabled = false;
    try {
      return fn();
    } finally {
      this.gradEnabled = prev;
    }
  }

  /** Run `fn` with trace events and ledger entries labelled `phase`. */
  /**
   * Run `fn`'s collectives on a communication stream, as NCCL runs them on a CUDA stream of its
   * own beside the compute: from `at` µs (or once the stream is free, if later), one after another
   * on that stream, without moving the compute clock. waitCommStream() makes the compute wait.
   * Streams by name: "comm" (gradient reductions), "gather" (FSDP's all-gather stream).
   */
  async onCommStream<T>(at: number, fn: () => Promise<T>, stream = 'comm'): Promise<T> {
    const resume = this.clock;
    const tag = this.tag;
    this.clock = Math.max(at, this.commFreeUs.get(stream) ?? 0);
    this.tag = `${tag ?? ''}${STREAM_TAG}`; // its events are not busy time (trace.ts onStream)
    try {
      return await fn();
    } finally {
      if (this.clock > (this.commFreeUs.get(stream) ?? 0)) this.commFreeUs.set(stream, this.clock);
      this.clock = resume;
      this.tag = tag;
    }
  }

  /** The compute waits until a communication stream (every stream, unnamed) has finished (a wait on the trace when it is behind). */
  waitCommStream(stream?: string): void {
    let end = 0;
    for (const [k, t] of this.commFreeUs) if ((stream === undefined || k === stream) && t > end) end = t;
    if (end <= this.clock + 1e-6) return;
    this.record(traceEvent({ rank: this.rank, kind: 'wait', name: `wait ${stream ?? 'comm'} stream`, phase: this.phase, startUs: this.clock, endUs: end, module: this.module, tag: this.tag }));
    this.clock = end;
  }

  async withPhase<T>(phase: Phase, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.phase;
    this.phase = phase;
    try {
      return await fn();
    } finally {
      this.phase = prev;
    }
  }

  /** Run `fn` inside a named module scope (names trace events and shard records). */
  async inModule<T>(name: string, fn: () => Promise<T> | T, site?: SourceLocation): Promise<T> {
    this.moduleStack.push(name);
    this.moduleSites.push(site);
    try {
      return await fn();
    } finally {
      this.moduleStack.pop();
      this.moduleSites.pop();
    }
  }

  /** Backpropagate from `loss` (dL/dloss = 1, or `grad`), filling `.grad` of leaves. */
  async backward(loss: Tensor, grad?: Tensor): Promise<void> {
    await runBackward(this, loss, grad);
  }

  /** The person's source location of the current call (honours the world's source mode). */
  source(force = false): SourceLocation | undefined {
    if (!force && this.world.sourceMode === 'none') return undefined;
    return captureSource() ?? this.moduleSite();
  }

  /**
   * A compute op's source line. Inside a built-in module (built quietly: no construction site)
   * every synchronous frame up to the await that led there is AutoDist's own, so the stack walk
   * (the costliest part of a meta-mode op) would find nothing: take the module's site directly.
   */
  private opSource(): SourceLocation | undefined {
    const sites = this.moduleSites;
    if (sites.length && sites[sites.length - 1] === undefined) return this.moduleSite();
    return this.source(true);
  }

  /** The construction site of the innermost module with one. */
  moduleSite(): SourceLocation | undefined {
    for (let i = this.moduleSites.length - 1; i >= 0; i--) if (this.moduleSites[i]) return this.moduleSites[i];
    return undefined;
  }

  checkAlive(): void {
    const w = this.world;
    if (w.aborted) throw new AbortedError(w.aborted);
    // the time limit, checked here too: a rank that loops over ops never yields to a timer
    if (w.deadline !== Infinity && (++w.aliveChecks & 255) === 0 && performance.now() > w.deadline) this.overTime();
  }

  /** Stop the run at this rank's current line: the time limit has passed while it ran. */
  private overTime(): never {
    const w = this.world;
    const source = captureSource() ?? this.lastSource ?? this.moduleSite();
    const err = new SimError('time-limit', `time limit of ${fmtSeconds(w.timeLimitMs)} exceeded while rank ${this.rank} ran ${source ? `${source.file.split(/[\\/]/).pop()}:${source.line}` : 'its program'}`, {
      ranks: [{ rank: this.rank, source, detail: 'was running here' }],
      fix: w.timeLimitFix,
      source,
    });
    this.world.stop(err);
    throw err;
  }

  /** Run `fn` when the run ends (to free what a rank built outside its tensors, e.g. a weight store). */
  onDispose(fn: () => void): void {
    this.finalizers.push(fn);
  }

  /** Free every TensorFlow.js tensor this rank made. */
  disposeAll(): void {
    for (const t of this.owned) if (!t.isDisposed) t.dispose();
    this.owned.length = 0;
    for (const f of this.finalizers.splice(0)) f();
  }
}

/** Thrown on ranks that were still running when another rank's error stopped the run. */
function fmtSeconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

export class AbortedError extends Error {
  readonly reason: SimError;
  constructor(reason: SimError) {
    super(`run stopped: ${reason.headline}`);
    this.name = 'AbortedError';
    this.reason = reason;
  }
}

function crossRank(x: Tensor, ctx: RankContext): SimError {
  if (!(x instanceof Tensor)) return notATensor(x, ctx.rank, 'an op', captureSource());
  return new SimError('user-exception', `tensor ${x.describe()} belongs to rank ${x.rank} but is used on rank ${ctx.rank}`, {
    ranks: [{ rank: ctx.rank, source: captureSource(), detail: 'used here' }],
    fix: 'move data between ranks only through comm (send/recv or a collective); build each rank its own tensors',
  });
}

function computeDType(d: DType): ComputeDType {
  return d === 'bfloat16' ? 'bfloat16' : d === 'float16' ? 'float16' : 'float32';
}
