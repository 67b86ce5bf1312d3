import { getHardware } from '../core/cost/index.js';
import { ConfigError } from '../core/errors.js';
import { toReportError } from '../parallel/simulation/report-build.js';
import { runSimulation, type RunEvent } from '../parallel/simulation/run.js';
import { checkSpec, type SimulationSpec } from '../parallel/simulation/spec.js';
import type { Report } from '../report/types.js';
import { backendInfo, backendLabel, initBackend } from './backend.js';
import { cores, threadsFor } from './threads.js';
import { warmWeights } from '../parallel/simulation/declare.js';
import { reportErrorOf, timeLimitFix } from './errors.js';
import { loadScript, type LoadedScript } from './load-script.js';
import { checkMemory, DEFAULT_MAX_MEMORY_BYTES } from './memory-guard.js';
import { withNanCheck } from './nan-guard.js';
import { STREAM_LIMITS } from './event-log.js';
import { failureReport } from './partial-report.js';
import type { RunInfo, ScriptRunSettings, StreamEvent } from './protocol.js';

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

  const run = settings.nanCheck === false ? spec : withNanCheck(spec);
  const loadWeights = loaded.loadWeights;
  try {
    return await runSimulation(run, {
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
    });
  } catch (e) {
    return fail(e);
  }
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
