import { getHardware, type Algorithm, type CollectiveOp, type HardwarePreset } from './cost/index.js';
import { AbortedError, RankContext, type Mode } from './context.js';
import { CollectiveEngine } from './collectives/engine.js';
import { Comm } from './collectives/comm.js';
import { ConfigError, ShapeError, SimError, StopRequest } from './errors.js';
import { compact } from './collectives/scheduler.js';
import type { SimEvent, StreamLimits } from './events.js';
import type { LedgerEntry } from './ledger.js';
import type { MemoryReport } from './memory.js';
import { Mesh, type MeshSpec } from './mesh.js';
import { isLibraryFile, stackLineLocation, type SourceLocation } from './source.js';
import type { TraceEvent } from './trace.js';
import { World, type SourceMode, type TpOverlapMode } from './world.js';

export interface SimOptions {
  readonly mesh: MeshSpec | Mesh;
  readonly mode?: Mode;
  /** Preset id ('h100', 'a100', 'h200', ...) or a preset object. */
  readonly hardware?: string | HardwarePreset;
  readonly gpusPerNode?: number;
  /** One algorithm for every collective, or per collective kind. */
  readonly algorithm?: Algorithm | Partial<Record<CollectiveOp, Algorithm>>;
  readonly seed?: number;
  /** Which events capture the person's source line: all ops, collectives only, or none. */
  readonly sources?: SourceMode;
  /** Record compute ops on the trace (the ledger and comm events are always recorded). */
  readonly traceCompute?: boolean;
  /**
   * Tensor-parallel communication in the backward (default 'backward', Megatron's): a
   * column-parallel layer's dX all-reduce / reduce-scatter runs behind its weight-gradient GEMMs
   * and SP's re-gather behind its dX GEMM, on a communication stream; 'none' blocks on each.
   */
  readonly tpOverlap?: TpOverlapMode;
  readonly onEvent?: (e: SimEvent) => void;
  /**
   * The most ledger entries and trace events `onEvent` hears one by one (default: all). Past
   * them the run records everything as before (the result has it all) and `onEvent` hears a
   * `tally` of how much was recorded instead: a live view needs no million objects.
   */
  readonly streamLimits?: StreamLimits;
  /**
   * Stops the run. Its reason, when a StopRequest, becomes the run's error with every rank still
   * in the run listed (waiting where, or last seen where); any other reason reads "cancelled".
   * The run returns what it recorded even when a rank's program never settles.
   */
  readonly signal?: AbortSignal;
  /**
   * Wall-time limit of the sharded run, ms from its start: checked between ops and collectives,
   * so the run stops at the rank and line that was running, with everything recorded kept.
   */
  readonly timeLimit?: { readonly ms: number; readonly fix?: string; /** The whole limit, as errors state it (default ms / 1000). */ readonly seconds?: number };
  /**
   * Meta mode only: mesh axes to fold by symmetry (see fold.ts) — only one representative rank
   * per class runs; the others mirror it. "auto" folds dp and tp when the world has more than
   * 64 ranks.
   */
  readonly fold?: readonly string[] | 'auto';
  /** Compute replicated work once across ranks (numeric mode; default true). See share.ts. */
  readonly share?: boolean;
}

export interface SimResult {
  readonly ok: boolean;
  readonly mesh: Mesh;
  readonly mode: Mode;
  readonly hardware: HardwarePreset;
  readonly ledger: readonly LedgerEntry[];
  readonly trace: readonly TraceEvent[];
  /** Each rank's simulated clock at the end (µs). */
  readonly clocks: readonly number[];
  /** Each rank's FLOPs. */
  readonly flops: readonly number[];
  readonly memory: readonly MemoryReport[];
  readonly errors: readonly SimError[];
  /** What each rank's program returned (undefined on failure). */
  readonly returns: readonly unknown[];
  /** Folded axes and the representative ranks that actually ran (empty when nothing was folded). */
  readonly folded: { readonly axes: readonly string[]; readonly representatives: readonly number[] };
  /** Wall time of the simulation itself, ms. */
  readonly wallMs: number;
  /** Ops whose result was reused from another rank instead of recomputed (see share.ts). */
  readonly sharedOps: number;
}

/** The per-rank program: the same function on every rank (SPMD), each with its own context. */
export type RankProgram<R = unknown> = (rank: RankContext) => Promise<R> | R;

/**
 * Run `program` on every rank of the mesh, concurrently in this process, and collect the ledger,
 * trace, clocks and memory. The run stops at the first error (an exception on any rank, a
 * mismatched collective, a deadlock); everything recorded up to then is still returned.
 */
export async function simulate<R>(opts: SimOptions, program: RankProgram<R>): Promise<SimResult> {
  const t0 = performance.now();
  const mesh = opts.mesh instanceof Mesh ? opts.mesh : new Mesh(opts.mesh);
  const hw = typeof opts.hardware === 'object' ? opts.hardware : getHardware(opts.hardware ?? 'h100-sxm');
  const algorithms = typeof opts.algorithm === 'string' ? allAlgorithms(opts.algorithm) : (opts.algorithm ?? {});
  const mode = opts.mode ?? 'numeric';
  if (mode !== 'numeric' && mode !== 'meta') throw new ConfigError(`unknown mode "${String(mode)}"`, 'use "numeric" or "meta"');
  if (opts.tpOverlap !== undefined && opts.tpOverlap !== 'none' && opts.tpOverlap !== 'backward') {
    throw new ConfigError(`unknown tpOverlap "${String(opts.tpOverlap)}"`, 'use tpOverlap: "backward" (Megatron\'s async dX communication, the default) or "none" (every tensor-parallel collective blocks)');
  }
  const fold = opts.fold === 'auto' ? (mode === 'meta' && mesh.worldSize > 64 ? ['dp', 'tp'].filter((a) => mesh.has(a)) : []) : (opts.fold ?? []);
  if (fold.length && mode !== 'meta') throw new ConfigError('symmetry folding is for meta mode only', 'drop fold, or run with mode: "meta"');
  const world = new World({
    mesh,
    mode,
    hardware: hw,
    gpusPerNode: opts.gpusPerNode ?? hw.gpusPerNode,
    algorithms,
    seed: opts.seed ?? 0,
    // large meta runs skip stack walks: ops and collectives take the line that built their module
    sourceMode: opts.sources ?? (mode === 'meta' ? (mesh.worldSize > 64 ? 'none' : 'collectives') : 'all'),
    traceCompute: opts.traceCompute ?? true,
    tpOverlap: opts.tpOverlap ?? 'backward',
    onEvent: opts.onEvent,
    streamLimits: opts.streamLimits,
    fold,
    share: opts.share,
  });
  const engine = new CollectiveEngine(world);
  const reps = world.fold.active ? world.fold.reps() : Array.from({ length: mesh.worldSize }, (_, r) => r);
  const ranks = reps.map((r) => new RankContext(world, r));
  for (const c of ranks) c.comm = new Comm(c, engine);
  const ctxOf = new Map(ranks.map((c) => [c.rank, c]));
  const repCtx = (r: number) => ctxOf.get(world.fold.repOf(r))!;
  const errors: SimError[] = [];
  const fail = (e: SimError) => {
    if (errors.includes(e)) return; // another rank's echo of an error already reported
    // the same failure on several ranks (each rank ran the same code): one error, every rank listed
    const key = sameFailureKey(e);
    const twin = errors.findIndex((x) => sameFailureKey(x) === key);
    if (twin >= 0 && (errors[twin].ranks.length === 0 || e.ranks.length === 0)) return; // the same config error from every rank
    if (twin >= 0) {
      const prev = errors[twin];
      const sites = [...prev.ranks, ...e.ranks.filter((r) => !prev.ranks.some((p) => p.rank === r.rank))].sort((x, y) => x.rank - y.rank);
      errors[twin] = new SimError(e.kind, mergedHeadline(prev.headline, sites.map((r) => r.rank)), { ranks: sites, fix: prev.fix ?? e.fix, source: prev.source ?? e.source });
      return;
    }
    errors.push(e);
    world.emit({ type: 'error', error: e });
  };
  // a stop from outside (the signal) or the time limit: every waiting rank's call rejects, and the
  // run ends without waiting for ranks whose programs may never settle
  let stopped!: () => void;
  const stop = new Promise<void>((r) => (stopped = r));
  world.stop = (err) => {
    if (world.aborted) return;
    engine.scheduler.abort(err);
    fail(err);
    stopped();
  };
  const lastSeen = (r: number) => {
    const at = ctxOf.get(r)?.lastSource;
    return { detail: at ? 'in its own code (running or awaiting); last seen' : 'in its own code (running or awaiting); no AutoDist call seen yet', source: at };
  };
  const onAbort = () => {
    const why: unknown = opts.signal?.reason;
    if (!(why instanceof StopRequest)) return world.stop(new SimError('cancelled', 'run cancelled'));
    const ranks = engine.scheduler.sites(lastSeen);
    world.stop(new SimError(why.kind, typeof why.headline === 'function' ? why.headline(ranks) : why.headline, { ranks, fix: why.fix, source: why.source ?? ranks.find((r) => r.source)?.source }));
  };
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) onAbort();
  if (opts.timeLimit && Number.isFinite(opts.timeLimit.ms)) {
    world.timeLimitMs = (opts.timeLimit.seconds ?? opts.timeLimit.ms / 1000) * 1000;
    world.deadline = performance.now() + opts.timeLimit.ms;
    world.timeLimitFix = opts.timeLimit.fix;
  }
  // the time limit for ranks that await (timers, I/O) rather than loop: they yield, so a timer fires
  const limitTimer = opts.timeLimit && Number.isFinite(opts.timeLimit.ms)
    ? setTimeout(() => {
        const ranks = engine.scheduler.sites(lastSeen);
        const running = ranks.filter((r) => r.detail.startsWith('in its own code'));
        const who = running.length ? `rank${running.length > 1 ? 's' : ''} ${compact(running.map((r) => r.rank))} still running` : 'no rank running';
        world.stop(new SimError('time-limit', `time limit of ${Number((world.timeLimitMs / 1000).toPrecision(3))} s exceeded with ${who}`, { ranks, fix: opts.timeLimit!.fix, source: running.find((r) => r.source)?.source }));
      }, opts.timeLimit.ms)
    : null;
  (limitTimer as { unref?: () => void } | null)?.unref?.();

  const returns: unknown[] = new Array(mesh.worldSize);
  const runs = ranks.map(async (ctx) => {
    try {
      returns[ctx.rank] = await program(ctx);
      engine.scheduler.finish(ctx.rank, false);
    } catch (e) {
      const err = toSimError(e, ctx.rank, ctx.lastSource);
      if (err) {
        engine.scheduler.abort(err);
        fail(err);
      }
      engine.scheduler.finish(ctx.rank, true);
    }
  });
  await Promise.race([Promise.all(runs), stop]);
  if (limitTimer) clearTimeout(limitTimer);
  world.tally(); // the final count, if the stream stopped short of it
  opts.signal?.removeEventListener('abort', onAbort);
  if (world.aborted && !errors.includes(world.aborted)) fail(world.aborted);
  if (errors.length === 0) {
    const u = engine.unmatched();
    if (u) fail(u);
  }
  const repMemory = new Map(ranks.map((c) => [c.rank, c.memory.report()]));
  const all = Array.from({ length: mesh.worldSize }, (_, r) => r);
  const memory = all.map((r) => repMemory.get(world.fold.repOf(r))!);
  const flops = Array.from(world.computeFlops);
  if (world.fold.active) for (const r of all) flops[r] = flops[world.fold.repOf(r)];
  // the logs become plain entries and events when first read (see ledger-log.ts, trace-log.ts)
  let ledger: readonly LedgerEntry[] | undefined;
  let trace: readonly TraceEvent[] | undefined;
  const result: SimResult = {
    ok: errors.length === 0,
    mesh,
    mode,
    hardware: hw,
    get ledger() {
      return (ledger ??= world.ledger.toArray());
    },
    get trace() {
      return (trace ??= world.trace.toArray());
    },
    clocks: all.map((r) => repCtx(r).clock),
    flops,
    memory,
    errors,
    returns,
    folded: { axes: world.fold.axes, representatives: world.fold.active ? reps : [] },
    sharedOps: world.share?.hits ?? 0,
    wallMs: performance.now() - t0,
  };
  for (const c of ranks) c.disposeAll();
  world.share?.dispose();
  return result;
}

/**
 * One failure's headline for several ranks: "rank 0 threw X" → "ranks 0, 1 threw X",
 * "ranks 0, 1: X" → "ranks 0-2: X"; a headline that names no rank gets "ranks 0-2: " before it.
 */
export function mergedHeadline(headline: string, ranks: readonly number[]): string {
  const sorted = [...ranks].sort((a, b) => a - b);
  const who = `ranks ${sorted.length <= 8 ? sorted.join(', ') : compact(sorted)}`;
  const m = /^ranks? [\d,\- ]*\d(?=[ :,])/.exec(headline);
  if (m) return who + headline.slice(m[0].length);
  return `${who}: ${headline}`;
}

/** An error's identity without the rank it happened on. */
function sameFailureKey(e: SimError): string {
  return `${e.kind}|${e.headline.replace(/^ranks? [\d,\- ]*\d(?=[ :,])/, '').replace(/\brank \d+\b/g, 'rank ?')}`;
}

function allAlgorithms(a: Algorithm): Partial<Record<CollectiveOp, Algorithm>> {
  return { all_reduce: a, all_gather: a, reduce_scatter: a, broadcast: a, reduce: a };
}

/** Turn what a rank threw into a SimError (null for the echo of another rank's error). */
function toSimError(e: unknown, rank: number, lastSource?: SourceLocation): SimError | null {
  if (e instanceof AbortedError) return null;
  if (e instanceof SimError) {
    // (a run-level stop — cancelled, time limit — is the world's own error, reported once)
    if (e.source || e.ranks.length || (e.kind !== 'config' && e.kind !== 'shape')) return e;
    // a check with no rank of its own (a mesh's group(), a weight's split): this rank, the line that called it
    const source = sourceOfError(e);
    const headline = `rank ${rank}: ${e.headline}`;
    if (e instanceof ShapeError) return new ShapeError(headline, { rank, source, fix: e.fix });
    return new ConfigError(headline, e.fix, source, [{ rank, source, detail: 'called here' }]);
  }
  if (!(e instanceof Error)) {
    // `throw "text"` or `throw { code: 1 }`: no stack to point with; say what was thrown, and the
    // last line of the person's code the rank was seen at
    return new SimError('user-exception', `rank ${rank} threw ${describeThrown(e)}, not an Error`, {
      ranks: [{ rank, source: lastSource, detail: lastSource ? 'the last line it ran before the throw (a non-Error carries no line of its own)' : 'thrown (a non-Error carries no line)' }],
      fix: 'throw new Error("...") so that the report can point at the line',
      source: lastSource,
    });
  }
  const err = e;
  const source = sourceOfError(err);
  if (err.name === 'ProcessExit') {
    return new SimError('user-exception', `rank ${rank} called ${err.message}, which would end every rank's process`, {
      ranks: [{ rank, source, detail: 'called here' }],
      fix: "a rank's program ends by returning from it; to stop the run with an error, throw new Error(\"...\")",
      source,
    });
  }
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new SimError('user-exception', `rank ${rank} overflowed the call stack (RangeError: ${err.message}): a recursion that does not end`, {
      ranks: [{ rank, source, detail: 'the innermost call of yours' }],
      fix: 'give the recursion a base case, or turn it into a loop',
      source,
    });
  }
  return new SimError('user-exception', `rank ${rank} threw ${err.name}: ${err.message.split('\n')[0]}`, {
    ranks: [{ rank, source, detail: 'thrown here' }],
    source,
  });
}

/** A thrown non-Error as a report names it: the string "x", the number 3, an object {code}. */
export function describeThrown(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 80 ? v.slice(0, 80) + '…' : v)}`;
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    return keys.length ? `an object {${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}}` : 'an empty object';
  }
  return `the ${typeof v} ${String(v)}`;
}

/** The person's frame in a thrown error's stack. */
function sourceOfError(err: Error) {
  const stack = err.stack ?? '';
  // Frames look like "    at fn (file:line:col)" or "    at file:line:col".
  for (const line of stack.split('\n').slice(1)) {
    const at = stackLineLocation(line);
    if (!at || isLibraryFile(at.file)) continue;
    return at;
  }
  return undefined;
}

