import { getHardware, type Algorithm, type CollectiveOp, type HardwarePreset } from './cost/index.js';
import { AbortedError, RankContext, type Mode } from './context.js';
import { CollectiveEngine } from './collectives/engine.js';
import { Comm } from './collectives/comm.js';
import { ConfigError, SimError } from './errors.js';
import type { SimEvent } from './events.js';
import type { LedgerEntry } from './ledger.js';
import type { MemoryReport } from './memory.js';
import { Mesh, type MeshSpec } from './mesh.js';
import { isLibraryFile } from './source.js';
import type { TraceEvent } from './trace.js';
import { World, type SourceMode } from './world.js';

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
  readonly onEvent?: (e: SimEvent) => void;
  readonly signal?: AbortSignal;
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
  /** Wall time of the simulation itself, ms. */
  readonly wallMs: number;
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
  const world = new World({
    mesh,
    mode,
    hardware: hw,
    gpusPerNode: opts.gpusPerNode ?? hw.gpusPerNode,
    algorithms,
    seed: opts.seed ?? 0,
    sourceMode: opts.sources ?? (mode === 'meta' ? 'collectives' : 'all'),
    traceCompute: opts.traceCompute ?? true,
    onEvent: opts.onEvent,
  });
  const engine = new CollectiveEngine(world);
  const ranks = Array.from({ length: mesh.worldSize }, (_, r) => new RankContext(world, r));
  for (const c of ranks) c.comm = new Comm(c, engine);
  const errors: SimError[] = [];
  const fail = (e: SimError) => {
    if (errors.includes(e)) return; // another rank's echo of an error already reported
    errors.push(e);
    world.emit({ type: 'error', error: e });
  };
  const onAbort = () => engine.scheduler.abort(new SimError('cancelled', 'run cancelled'));
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) onAbort();

  const returns: unknown[] = new Array(mesh.worldSize);
  const runs = ranks.map(async (ctx) => {
    try {
      returns[ctx.rank] = await program(ctx);
      engine.scheduler.finish(ctx.rank, false);
    } catch (e) {
      const err = toSimError(e, ctx.rank);
      if (err) {
        engine.scheduler.abort(err);
        fail(err);
      }
      engine.scheduler.finish(ctx.rank, true);
    }
  });
  await Promise.all(runs);
  opts.signal?.removeEventListener('abort', onAbort);
  if (world.aborted && !errors.includes(world.aborted)) fail(world.aborted);
  if (errors.length === 0) {
    const u = engine.unmatched();
    if (u) fail(u);
  }
  const memory = ranks.map((c) => c.memory.report());
  const result: SimResult = {
    ok: errors.length === 0,
    mesh,
    mode,
    hardware: hw,
    ledger: world.ledger,
    trace: world.trace,
    clocks: ranks.map((c) => c.clock),
    flops: Array.from(world.computeFlops),
    memory,
    errors,
    returns,
    wallMs: performance.now() - t0,
  };
  for (const c of ranks) c.disposeAll();
  return result;
}

function allAlgorithms(a: Algorithm): Partial<Record<CollectiveOp, Algorithm>> {
  return { all_reduce: a, all_gather: a, reduce_scatter: a, broadcast: a, reduce: a };
}

/** Turn what a rank threw into a SimError (null for the echo of another rank's error). */
function toSimError(e: unknown, rank: number): SimError | null {
  if (e instanceof AbortedError) return null;
  if (e instanceof SimError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const source = sourceOfError(err);
  return new SimError('user-exception', `rank ${rank} threw ${err.name}: ${err.message}`, {
    ranks: [{ rank, source, detail: 'thrown here' }],
    source,
  });
}

/** The person's frame in a thrown error's stack. */
function sourceOfError(err: Error) {
  const stack = err.stack ?? '';
  // Frames look like "    at fn (file:line:col)" or "    at file:line:col".
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const file = m[1].replace(/^file:\/\//, '');
    if (isLibraryFile(file)) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

