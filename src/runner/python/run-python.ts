/**
 * `autodist simulate train.py --nproc-per-node N`: the person's PyTorch file on N simulated
 * ranks, as torchrun would start N processes, then (numeric mode) the same file at world size 1
 * as its own reference, compared module by module (src/parallel/verify/by-name.ts).
 */
import { pythonPipelineInfo, type PythonPipelineRecord } from './pipeline-info.js';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AbortedError, type RankContext } from '../../core/context.js';
import { SimError } from '../../core/errors.js';
import { Mesh } from '../../core/mesh.js';
import { simulate, type SimResult } from '../../core/simulate.js';
import { sourceAt, type SourceLocation } from '../../core/source.js';
import { Tensor } from '../../core/tensor.js';
import { buildReport } from '../../parallel/simulation/report-build.js';
import type { SimulationSpec } from '../../parallel/simulation/spec.js';
import { disposeRecords, moduleShapes, shardRows, withFirstDifference } from '../../parallel/simulation/named-records.js';
import { verifyByName, type NamedCall, type NamedParam, type RankRecord } from '../../parallel/verify/by-name.js';
import { tolerancesFor } from '../../parallel/verify/compare.js';
import type { Report, VerificationInfo } from '../../report/types.js';
import { getInterpreter, mountUserDir, type Interpreter } from './interpreter.js';

export interface PythonRunOptions {
  readonly nprocPerNode?: number;
  readonly args?: readonly string[];
  readonly mode?: 'numeric' | 'meta';
  readonly hardware?: string;
  readonly algorithm?: 'ring' | 'tree';
  readonly gpusPerNode?: number;
  readonly tolerances?: { readonly output?: number; readonly grad?: number };
  readonly signal?: AbortSignal;
  readonly backend?: string;
  readonly onEvent?: Parameters<typeof simulate>[0]['onEvent'];
  readonly streamLimits?: Parameters<typeof simulate>[0]['streamLimits'];
  /** The run's time limit (the core stops at the rank and line that runs when it passes). */
  readonly timeLimit?: { readonly ms: number; readonly fix?: string; readonly seconds?: number };
  /** Set to 2 by whoever enforces the time limit: the running rank raises KeyboardInterrupt. */
  readonly interrupt?: SharedArrayBuffer;
  /** Each rank's printed text, as it is printed. */
  readonly onOutput?: (rank: number, stream: 'stdout' | 'stderr', text: string) => void;
  readonly onProgress?: (stage: 'load' | 'sharded' | 'reference' | 'verify' | 'done', percent: number, message: string) => void;
}

/** What one rank's Python run hands back (autodist_runtime.run_rank). */
interface RankResult {
  exit: number;
  error?: { type: string; message: string };
  js_error?: unknown;
  frames?: [string, number, string, string][];
  column?: number;
  message?: string;
  sys_exit?: boolean;
  stopped?: boolean;
  traceback?: string;
  /** [name, call, kind, output, site, a DTensor's sharded dims as [dim, global size], where a style declared its input sharded] */
  calls?: [string, number, string, Tensor, SourceLocation | undefined, [number, number][] | null | undefined, SourceLocation | null | undefined, boolean][];
  params?: [string, string, string, Tensor, SourceLocation | undefined][];
  /** A torch.distributed.pipelining schedule's step on this rank. */
  pipeline?: PythonPipelineRecord;
  /** The first `init_device_mesh` over the world on this rank: its shape and axis names. */
  device_mesh?: DeviceMeshRecord;
}

interface DeviceMeshRecord {
  shape: number[];
  names: string[];
}

/**
 * The report's mesh: the axes of the script's `init_device_mesh` (row-major, so its first axis
 * is the slowest, as the report's mesh lists them), else one "world" axis.
 */
export function reportMesh(n: number, dm: DeviceMeshRecord | undefined): Mesh {
  if (dm && dm.names.length === dm.shape.length && new Set(dm.names).size === dm.names.length && dm.shape.reduce((a, b) => a * b, 1) === n) {
    return new Mesh(Object.fromEntries(dm.names.map((a, i) => [a, dm.shape[i]])), dm.names);
  }
  return new Mesh({ world: n });
}

export { fileFlags } from './file-flags.js';

/** Does the file make meta-device tensors (then it runs in meta mode: shapes only)? */
export function makesMetaTensors(text: string): boolean {
  return /device\s*=\s*(?:torch\.device\()?\s*["']meta["']|torch\.device\(\s*["']meta["']\s*\)/.test(text);
}

export async function runPythonFile(fileIn: string, o: PythonRunOptions): Promise<Report> {
  const t0 = performance.now();
  const file = path.resolve(fileIn);
  const text = readFileSync(file, 'utf8');
  const n = o.nprocPerNode ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 4096) {
    throw new SimError('config', `--nproc-per-node ${String(o.nprocPerNode)} is not a process count`, { fix: 'give a whole number of processes from 1 to 4096, e.g. --nproc-per-node 4' });
  }
  const metaByFile = o.mode !== 'meta' && makesMetaTensors(text);
  const mode = o.mode ?? (metaByFile ? 'meta' : 'numeric');
  o.onProgress?.('load', 0, 'starting Python');
  const it = await getInterpreter();
  if (it.startMs) o.onProgress?.('load', 100, `Python ${it.py.version} ready in ${(it.startMs / 1000).toFixed(1)} s`);
  (it as { startMs: number }).startMs = 0;
  const dir = path.dirname(file);
  mountUserDir(it, dir);
  it.runtime.reset();
  // (a fresh flag per run; one already set — the limit passed while Python started — interrupts
  // the first rank at once)
  if (o.interrupt) it.py.setInterruptBuffer(new Int32Array(o.interrupt));
  const local = Math.min(n, o.gpusPerNode ?? 8);
  const args = o.args ?? [];
  const spec: SimulationSpec = { name: path.basename(file), mesh: { world: n }, mode, hardware: o.hardware, gpusPerNode: o.gpusPerNode, algorithm: o.algorithm };

  // ---- the N-rank run (each rank's output printed as it comes)
  o.onProgress?.('sharded', 0, `running ${path.basename(file)} on ${n} simulated process${n > 1 ? 'es' : ''}${metaByFile ? ' (meta tensors: shapes only)' : ''}`);
  const wantVerify = mode === 'numeric';
  it.bridge.takeDealt();
  const sharded = await runRanks(it, { file, dir, n, local, args, mode, record: wantVerify, o, print: true });
  const dealt = it.bridge.takeDealt();

  // ---- the world-size-1 reference and the comparison
  let verification: VerificationInfo;
  const interrupted = sharded.res.errors.some((e) => e.headline.startsWith('time limit'));
  if (interrupted) verification = { passed: false, skipped: 'the run was stopped at the time limit', outputs: [], grads: [] };
  else if (!wantVerify) verification = { passed: sharded.res.ok, skipped: mode === 'meta' ? 'meta mode has shapes only' : 'verification is off', outputs: [], grads: [] };
  else if (n === 1) verification = { passed: sharded.res.ok, skipped: 'a run at world size 1 is its own reference', outputs: [], grads: [] };
  else if (dealt) {
    const at = dealt.line ? ` (${path.basename(dealt.file)}:${dealt.line})` : '';
    verification = { passed: sharded.res.ok, reference: 'world-size-1', skipped: `each rank was given its own data: a DistributedSampler${at} deals each of the ${n} ranks its own share of the dataset, so one world-size-1 run is no reference for them — to verify, give every rank the same batch (no sampler, or shuffle=False with num_replicas=1) and take each rank's rows of it (x[rank * n:(rank + 1) * n])`, outputs: [], grads: [] };
  } else {
    o.onProgress?.('reference', 0, 'running the same file at world size 1 (the reference)');
    const ref = await runRanks(it, { file, dir, n: 1, local: 1, args, mode: 'numeric', record: true, o, print: false });
    if (!ref.res.ok) {
      const e = ref.res.errors[0];
      verification = { passed: false, skipped: `the file does not run at world size 1 (${e ? e.headline : 'it failed'})`, outputs: [], grads: [] };
    } else {
      o.onProgress?.('verify', 0, 'comparing every module with the world-size-1 run');
      const tol = tolerancesFor('float32', o.tolerances);
      verification = verifyByName(ref.records[0], sharded.records, tol);
      if (!sharded.res.ok) verification = { ...verification, passed: false };
    }
    disposeRecords(ref.records);
  }
  const res = withFirstDifference(sharded.res, verification, (f) => path.basename(f));
  const shards = shardRows(sharded.records);
  const modules = moduleShapes(sharded.records);
  disposeRecords(sharded.records);
  it.bridge.dispose();
  o.onProgress?.('done', 100, verification.skipped ?? (verification.passed ? 'verified' : 'not verified'));
  const pipeline = pythonPipelineInfo(sharded.pipes, sharded.res);
  return buildReport({ spec, mesh: reportMesh(n, sharded.deviceMesh), mode, res, shards, modules, verification, backend: o.backend, script: file, wallMs: performance.now() - t0, pipeline });
}

interface RanksJob {
  readonly file: string;
  readonly dir: string;
  readonly n: number;
  readonly local: number;
  readonly args: readonly string[];
  readonly mode: 'numeric' | 'meta';
  readonly record: boolean;
  readonly o: PythonRunOptions;
  readonly print: boolean;
}

async function runRanks(it: Interpreter, j: RanksJob): Promise<{ res: SimResult; records: RankRecord[]; pipes: PythonPipelineRecord[]; deviceMesh?: DeviceMeshRecord }> {
  let deviceMesh: DeviceMeshRecord | undefined;
  const records: RankRecord[] = [];
  const pipes: PythonPipelineRecord[] = [];
  it.bridge.onOutput = j.print ? (rank, stream, text) => j.o.onOutput?.(rank, stream, text) : () => {};
  let warned = false;
  it.bridge.onMetaRead = (rank) => {
    if (warned || !j.print) return;
    warned = true;
    j.o.onOutput?.(rank, 'stderr', 'autodist: meta mode computes shapes only: values read from tensors (.item(), .tolist(), print) are nan\n');
  };
  const runRank = it.runtime.run_rank;
  const res = await simulate(
    {
      mesh: { world: j.n },
      mode: j.mode,
      hardware: j.o.hardware,
      algorithm: j.o.algorithm,
      gpusPerNode: j.o.gpusPerNode,
      fold: [],
      signal: j.o.signal,
      onEvent: j.print ? j.o.onEvent : undefined,
      streamLimits: j.o.streamLimits,
      sources: j.print ? 'all' : 'none',
      traceCompute: j.print,
      timeLimit: j.o.timeLimit,
    },
    async (ctx: RankContext) => {
      const proxy = (await runRank.callPromising(ctx, ctx.rank, j.n, j.local, j.file, j.args, j.dir + path.sep, j.mode === 'meta', j.record)) as { toJs(o: object): RankResult; destroy(): void };
      const r = proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
      proxy.destroy();
      it.runtime.flush_output();
      if (r.calls || r.params) records[ctx.rank] = recordOf(ctx.rank, r);
      if (r.pipeline) pipes[ctx.rank] = r.pipeline;
      if (r.device_mesh && ctx.rank === 0) deviceMesh = r.device_mesh;
      settle(ctx, r);
    },
  );
  return { res, records, pipes, deviceMesh };
}

function recordOf(rank: number, r: RankResult): RankRecord {
  const calls: NamedCall[] = (r.calls ?? []).map(([name, call, kind, t, site, sharded, declaredAt, seeThrough]) => ({ name, call, kind, shape: t.shape, seeThrough: !!seeThrough, data: seeThrough || !t.data ? null : t.data.clone(), site: site ?? undefined, sharded: sharded ? sharded.map(([d, n]) => [d, n] as const) : undefined, declaredAt: declaredAt ?? undefined }));
  const params: NamedParam[] = (r.params ?? []).map(([name, module, kind, t, site]) => ({
    name,
    module,
    kind,
    tensor: t,
    shape: t.shape,
    grad: t.grad?.data ? t.grad.data.clone() : null,
    // a vector's values, kept for the diagnoses (a bias counted on every rank)
    value: t.shape.length === 1 && t.data ? t.data.clone() : undefined,
    placement: t.placement,
    site: site ?? undefined,
  }));
  return { rank, calls, params };
}

/** A rank's end: an exception becomes the run's error, at the person's line. */
function settle(ctx: RankContext, r: RankResult): void {
  if (r.stopped) throw new AbortedError(new SimError('cancelled', `rank ${ctx.rank} did not start: the run was stopped at the time limit`));
  const frames = r.frames ?? [];
  const last = frames[frames.length - 1];
  const at = last ? sourceAt(last[0], last[1], r.column ?? 0) : undefined;
  if (r.js_error !== undefined) {
    const e = r.js_error;
    if (e instanceof SimError || e instanceof AbortedError) throw e;
    throw new SimError('user-exception', `rank ${ctx.rank}: ${(e as Error)?.message ?? String(e)}`, { ranks: [{ rank: ctx.rank, source: at, detail: 'raised here' }] });
  }
  if (r.error?.type === 'KeyboardInterrupt' && last) {
    throw new SimError('user-exception', `time limit: rank ${ctx.rank} was still running ${path.basename(last[0])}:${last[1]} (in ${last[2]}) when it passed`, {
      ranks: [{ rank: ctx.rank, source: at, detail: `running here${last[3] ? `: ${last[3]}` : ''}` }],
      source: at,
      fix: 'an endless loop? check the loop at that line; a long run: raise --timeout',
    });
  }
  if (r.error) {
    const where = frames.map(([f, l, fn, t]) => `    ${path.basename(f)}:${l} in ${fn}${t ? `: ${t}` : ''}`).join('\n');
    const kind = r.error.type === 'Unsupported' ? 'config' : 'user-exception';
    throw new SimError(kind as 'user-exception', `rank ${ctx.rank}: ${r.error.type}: ${r.error.message}`, {
      ranks: [{ rank: ctx.rank, source: at, detail: `raised ${r.error.type}${where ? `\n  traceback (most recent call last):\n${where}` : ''}` }],
      source: at,
      fix: fixFor(r.error.type, r.error.message),
    });
  }
  if (r.sys_exit && r.exit !== 0) {
    throw new SimError('user-exception', `rank ${ctx.rank}: sys.exit(${r.message ? JSON.stringify(r.message) : r.exit}) ended the process`, { ranks: [{ rank: ctx.rank, source: at, detail: 'exited here' }], source: at });
  }
}

function fixFor(type: string, message: string): string | undefined {
  if (/^Invalid (destination|source) rank/.test(message)) {
    return 'send and recv name global ranks: with tensor parallelism each pipeline stage has tp ranks, so the peer of tensor-parallel rank t in stage s is s·tp + t — a stage number is a rank only when every stage has one rank';
  }
  if (type === 'ModuleNotFoundError') {
    return 'only the Python standard library and AutoDist\'s torch exist in the simulator (no numpy, no other packages): remove the import, or guard it with try/except ImportError';
  }
  if (type === 'SyntaxError') return 'fix the syntax at that line';
  if (type === 'Unsupported' || /not supported by AutoDist/.test(message)) return undefined;
  return undefined;
}




