import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { getHardware } from '../core/cost/index.js';
import { writeSafetensors } from '../models/safetensors.js';
import { ConfigError } from '../core/errors.js';
import { toReportError } from '../parallel/simulation/report-build.js';
import { runSimulation, type RunEvent } from '../parallel/simulation/run.js';
import { checkSpec, type SimulationSpec } from '../parallel/simulation/spec.js';
import type { Report } from '../report/types.js';
import { backendInfo, backendLabel, initBackend } from './backend.js';
import { cores, threadsFor } from './threads.js';
import { warmWeights } from '../parallel/simulation/declare.js';
import { reportErrorOf, timeLimitFix } from './errors.js';
import { loadScript, scriptBuiltins, type LoadedScript } from './load-script.js';
import { hasRankFunctions, moduleStateLines, RankModules, type RankFunctions } from './rank-modules.js';
import { checkMemory, DEFAULT_MAX_MEMORY_BYTES } from './memory-guard.js';
import { withNanCheck } from './nan-guard.js';
import { STREAM_LIMITS } from './event-log.js';
import { failureReport } from './partial-report.js';
import type { RunInfo, ScriptRunSettings, StreamEvent } from './protocol.js';
import { fileFlags, runPythonFile } from './python/run-python.js';
import { readFileSync } from 'node:fs';

export interface ScriptRunHooks {
  readonly onEvent?: (e: StreamEvent) => void;
  /** Called once the script is loaded and checked, before anything is allocated. */
  readonly onStart?: (info: RunInfo) => void;
  readonly signal?: AbortSignal;
  /** Stop the run after this many ms (from the call), at the rank and line that is running. */
  readonly timeLimitMs?: number;
  /** The limit as errors state it (seconds; default timeLimitMs / 1000). */
  readonly timeLimitS?: number;
}

/**
 * Load a script and run its simulation in this thread: backend, script, overrides, the memory
 * guard, the NaN check, the run. Always resolves to a report — a script that does not load or
 * a run that is refused gives a report with its error and exit code 2. The worker runs this;
 * tests may call it directly.
 */
export async function runScript(file: string, settings: ScriptRunSettings = {}, hooks: ScriptRunHooks = {}): Promise<Report> {
  const t0 = performance.now();
  const emit = hooks.onEvent ?? (() => {});
  emit({ type: 'progress', stage: 'load', percent: 0, message: `loading ${file}` });
  if (file.endsWith('.py')) return runPythonScript(file, settings, hooks);

  let info: RunInfo | undefined;
  let label: string = settings.backend ?? 'wasm';
  const fail = (e: unknown) => {
    const error = reportErrorOf(e);
    emit({ type: 'error', error });
    return failureReport({ info, script: file, backend: label, errors: [error], wallMs: performance.now() - t0 });
  };

  let loaded: LoadedScript;
  let spec: SimulationSpec;
  try {
    loaded = loadScript(file);
    spec = withSettings(loaded.spec, settings);
    checkSpec(spec);
    if (typeof spec.hardware === 'string') checkHardware(spec.hardware, loaded);
  } catch (e) {
    return fail(e);
  }
  let memory: RunInfo['memory'];
  try {
    memory = checkMemory(spec, settings.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES);
  } catch (e) {
    info = runInfo(loaded.file, label, spec);
    return fail(e);
  }
  // the backend once the spec is known: a large numeric run gets the threaded WASM build. The
  // panel hears of the run first (its rank grid needs only the spec), with the backend that is
  // starting; a fallback is announced once known, and the report names what ran
  const threads = threadsFor(spec, cores(), settings.threads, settings.maxThreads);
  const prefer = settings.backend ?? 'wasm';
  const starting = initBackend(prefer, threads);
  const running = backendInfo();
  label = running ? backendLabel(running) : backendLabel({ name: prefer, simd: prefer === 'wasm', threads });
  info = { ...runInfo(loaded.file, label, spec), memory };
  hooks.onStart?.(info);
  emit({ type: 'progress', stage: 'load', percent: 100, message: `loaded ${loaded.file}` });
  // the pool's threads boot on other cores meanwhile: draw a seeded checkpoint now
  if (threads > 1 && spec.model && !loaded.loadWeights) await warmWeights(spec.model, spec.seed ?? 0, spec.dtype).catch(() => false);
  const backend = await starting;
  label = backendLabel(backend);
  if (backend.fallbackReason) emit({ type: 'progress', stage: 'load', percent: 100, message: `backend ${label}: ${backend.fallbackReason}` });

  const guard = (s: SimulationSpec) => (settings.nanCheck === false ? s : withNanCheck(s));
  const run = guard(spec);
  const loadWeights = loaded.loadWeights;
  // each rank's own copy of the script's modules (module-level state per rank, as torchrun's processes)
  const perRank = hasRankFunctions(spec) ? new RankModules(loaded.file, scriptBuiltins()) : undefined;
  const rankFunctions = perRank
    ? (rank: number): RankFunctions | undefined => {
        const own = perRank.forRank(rank);
        if (!own) return undefined;
        const g = guard({ ...spec, ...own });
        return { program: g.program, parallelize: g.parallelize, loss: g.loss };
      }
    : undefined;
  const dumped = settings.dump ? new Map<string, { shape: readonly number[]; data: Float32Array }>() : undefined;
  try {
    const report = await runSimulation(run, {
      dump: dumped ? (name, shape, data) => void dumped.set(name, { shape, data }) : undefined,
      onEvent: (e) => emit(toStreamEvent(e)),
      streamLimits: STREAM_LIMITS,
      signal: hooks.signal,
      timeLimit: hooks.timeLimitMs === undefined || !Number.isFinite(hooks.timeLimitMs) ? undefined : { ms: hooks.timeLimitMs - (performance.now() - t0), fix: timeLimitFix(spec.mode), seconds: hooks.timeLimitS },
      locate: loaded.locate,
      loadWeights: loadWeights
        ? (store) => {
            loadWeights(store);
            for (const m of loaded.weightsLog) emit({ type: 'progress', stage: 'load', percent: 100, message: m });
          }
        : undefined,
      backend: label,
      script: loaded.file,
      rankFunctions,
    });
    const warned = perRank?.sharedRanks.length ? { ...report, warnings: [...(report.warnings ?? []), ...sharedStateWarnings(loaded.file, perRank)] } : report;
    if (dumped && settings.dump) writeDump(settings.dump, dumped, loaded.file, emit);
    return warned;
  } catch (e) {
    return fail(e);
  }
}

/** Ranks past RANK_MODULES_MAX share the first-loaded modules: say so at each line of module-level state. */
function sharedStateWarnings(file: string, m: RankModules): NonNullable<Report['warnings']> {
  const n = m.sharedRanks.length;
  const what = `${n} rank${n === 1 ? '' : 's'} (past the ${m.loaded} that each loaded their own copy of ${path.basename(file)}) share its module-level state; on a cluster each process has its own`;
  const lines = (m.files.length ? m.files : [file]).flatMap((f) => moduleStateLines(f));
  const fix = 'keep per-rank state inside the rank\'s program or parallelize (or in a Map keyed by rank.rank), not at the top of the module';
  return lines.length ? lines.map((source) => ({ message: `${what}: this binding is shared by those ranks`, fix, source })) : [{ message: what, fix }];
}

/** The verifier's tensors as one .safetensors file (nothing is written when there are none: meta mode, no verification). */
function writeDump(file: string, tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, script: string, emit: (e: StreamEvent) => void): void {
  if (tensors.size === 0) {
    emit({ type: 'progress', stage: 'done', percent: 100, message: `--dump: nothing to write to ${file} (tensors exist only in numeric mode with verification)` });
    return;
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, writeSafetensors(Object.fromEntries(tensors), { script, format: 'autodist-dump-1' }));
}

/** The script's spec with the command line's (or the settings') overrides. */
export function withSettings(spec: SimulationSpec, s: ScriptRunSettings): SimulationSpec {
  const o: Record<string, unknown> = { mesh: s.mesh, mode: s.mode, hardware: s.hardware, algorithm: s.algorithm, gpusPerNode: s.gpusPerNode };
  if (s.tolerances && spec.verify !== false) o.verify = { ...(typeof spec.verify === 'object' ? spec.verify : {}), ...s.tolerances };
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...spec, ...defined } as SimulationSpec;
}

function checkHardware(id: string, loaded: LoadedScript): void {
  try {
    getHardware(id);
  } catch (e) {
    throw new ConfigError((e as Error).message, 'use --hardware a100, h100 or h200', loaded.locate(id));
  }
}

function runInfo(script: string, backend: string, spec: SimulationSpec): RunInfo {
  const mesh = Object.fromEntries(Object.entries(spec.mesh).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  const m = spec.model;
  return {
    script,
    backend,
    mode: spec.mode ?? 'numeric',
    mesh,
    hardware: typeof spec.hardware === 'string' ? spec.hardware : spec.hardware?.id,
    gpusPerNode: spec.gpusPerNode,
    model: m ? { name: m.name, params: m.paramCount(), config: jsonSafe(m.config), layers: m.layerPaths() } : undefined,
    input: spec.input ? { batch: spec.input.batch, seq: spec.input.seq, microbatches: spec.input.microbatches } : undefined,
  };
}

function jsonSafe(v: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(v ?? null));
  } catch {
    return null;
  }
}

/** A run event as plain data (errors become report errors). */
export function toStreamEvent(e: RunEvent): StreamEvent {
  return e.type === 'error' ? { type: 'error', error: toReportError(e.error) } : e;
}

/**
 * A PyTorch file: `nprocPerNode` processes (the setting, else the file's own
 * "# autodist: --nproc-per-node N" line), run by src/runner/python/run-python.ts.
 */
async function runPythonScript(file: string, settings: ScriptRunSettings, hooks: ScriptRunHooks): Promise<Report> {
  const t0 = performance.now();
  const emit = hooks.onEvent ?? (() => {});
  let info: RunInfo | undefined;
  try {
    const flags = fileFlags(readFileSync(file, 'utf8'));
    const i = flags.findIndex((f) => f === '--nproc-per-node' || f === '--nproc_per_node' || f.startsWith('--nproc-per-node='));
    const fromFile = i < 0 ? undefined : Number(flags[i].includes('=') ? flags[i].split('=')[1] : flags[i + 1]);
    const n = settings.nprocPerNode ?? fromFile;
    if (n === undefined) {
      throw new ConfigError(`how many processes? ${file} is a Python file: give --nproc-per-node N (as torchrun), or put "# autodist: --nproc-per-node N" in the file`, 'autodist simulate train.py --nproc-per-node 4');
    }
    const meta = settings.mode === 'meta' || flags.includes('--meta');
    const backend = await initBackend(settings.backend ?? 'wasm', 1);
    const label = backendLabel(backend);
    info = { script: file, backend: label, mode: meta ? 'meta' : 'numeric', mesh: { world: n }, hardware: settings.hardware, gpusPerNode: settings.gpusPerNode };
    hooks.onStart?.(info);
    return await runPythonFile(file, {
      nprocPerNode: n,
      args: settings.scriptArgs,
      mode: meta ? 'meta' : undefined,
      hardware: settings.hardware,
      algorithm: settings.algorithm,
      gpusPerNode: settings.gpusPerNode,
      tolerances: settings.tolerances,
      signal: hooks.signal,
      backend: label,
      onEvent: (e) => emit(toStreamEvent(e)),
      streamLimits: STREAM_LIMITS,
      onOutput: (rank, stream, text) => emit({ type: 'output', rank, stream, text }),
      onProgress: (stage, percent, message) => emit({ type: 'progress', stage, percent, message }),
      interrupt: settings.interrupt,
      timeLimit: hooks.timeLimitMs === undefined || !Number.isFinite(hooks.timeLimitMs) ? undefined : { ms: hooks.timeLimitMs - (performance.now() - t0), fix: timeLimitFix(meta ? 'meta' : 'numeric'), seconds: hooks.timeLimitS },
    });
  } catch (e) {
    const error = reportErrorOf(e);
    emit({ type: 'error', error });
    return failureReport({ info, script: file, backend: settings.backend ?? 'wasm', errors: [error], wallMs: performance.now() - t0 });
  }
}
