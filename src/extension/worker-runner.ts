/**
 * The SimulationRunner of the extension: src/runner's worker thread (the simulation never runs
 * on the extension host's event loop), with the settings turned into its options. The runner's
 * messages speak of command-line flags; here they name the settings and commands instead.
 *
 * A Python file needs WebAssembly stack switching (JSPI). VS Code's extension host is Electron's
 * Node: when it has no `WebAssembly.Suspending` (V8 turns JSPI on by default from Node 24's V8),
 * the run goes to a child process — the same executable as Node (ELECTRON_RUN_AS_NODE) started
 * with V8's flag — since a flag cannot be given to a thread of a running process.
 */
import type { Report, ReportError } from '../report/types.js';
import { runInWorker, type WorkerRunOptions } from '../runner/run-in-worker.js';
import { editorThreads } from '../runner/threads.js';
import { WarmWorker } from '../runner/warm-worker.js';
import { COMMAND_TITLES, COMMANDS } from './ids.js';
import { RunAborted, type RunHandle, type RunListener, type RunRequest, type SimulationRunner } from './runner.js';

const GiB = 2 ** 30;
const META = `run "AutoDist: ${COMMAND_TITLES[COMMANDS.simulateMeta]}" (shapes, bytes and time only)`;

/** The runner's errors about limits, with the extension's words for what to change. */
export function forEditor(e: ReportError, req: RunRequest): ReportError {
  if (req.script.endsWith('.py')) {
    const j = jspiError(e);
    if (j) return j;
  }
  switch (e.kind) {
    case 'time-limit': {
      const headline = `the simulation took longer than the time limit of ${req.settings.timeLimitS} s — an infinite loop, or a numeric run too large for a CPU?`;
      return { ...e, headline, message: headline, fix: `raise the setting autodist.timeLimit, or ${META}` };
    }
    case 'memory-limit':
      return { ...e, headline: e.headline.replace(/\s*fix:.*$/s, ''), fix: `${META}, use a smaller model or batch, or raise the setting autodist.memoryLimit (GB)` };
    default:
      return e;
  }
}

/** Can this thread suspend WebAssembly on a promise (JSPI; the older `Suspender` of Node 20–23 with the flag)? */
export function hostHasJspi(): boolean {
  const w = (globalThis as unknown as { WebAssembly: Record<string, unknown> }).WebAssembly;
  return typeof w.Suspending === 'function' || typeof w.Suspender === 'function';
}

const host = (): string => (process.versions.electron ? `VS Code's extension host (Electron ${process.versions.electron}, Node ${process.versions.node})` : `Node ${process.versions.node}`);

/** A Python run whose process could not get JSPI, said plainly, with what to do. */
export function jspiError(e: ReportError): ReportError | undefined {
  if (!/no JSPI|cannot suspend WebAssembly|bad option: --experimental-wasm|exited \(code 9\)/.test(e.message)) return undefined;
  const headline = `Python files need WebAssembly stack switching (JSPI), which ${host()} could not give the simulation`;
  return { ...e, kind: 'internal', headline, message: `${headline}\n${e.message}`, fix: 'run the file from a terminal: `npx autodist simulate FILE.py --nproc-per-node N` (Node 24, or Node 20–23 through bin/autodist.js, which adds the flag), or update VS Code to a version whose Electron ships Node ≥ 24' };
}

export interface WorkerRunnerOptions {
  /** Does the extension host have JSPI (default: look)? A Python run goes to a child process when not. */
  readonly jspi?: () => boolean;
}

export class WorkerRunner implements SimulationRunner {
  /**
   * The worker of the last clean Python run, kept with its interpreter loaded (~3 s to start)
   * for the next one. TypeScript runs get a fresh worker each (their backend's threads differ per run).
   */
  private readonly warm = new WarmWorker();

  constructor(private readonly options: WorkerRunnerOptions = {}) {}

  dispose(): void {
    this.warm.dispose();
  }

  start(req: RunRequest, listener: RunListener): RunHandle {
    const s = req.settings;
    const python = req.script.endsWith('.py');
    const inChild = python && !(this.options.jspi ?? hostHasJspi)();
    let cancelled = false;
    const opts: WorkerRunOptions & { readonly tolerances: RunRequest['settings']['tolerances'] } = {
      mode: req.mode,
      mesh: s.mesh,
      hardware: s.hardware,
      algorithm: s.algorithm,
      backend: s.backend,
      // a Python file's processes (the file's line, the setting or the person's pick: nproc.ts)
      nprocPerNode: s.nprocPerNode,
      inChild,
      warm: python ? this.warm : undefined,
      // large numeric runs use the threaded backend, leaving one core to VS Code
      maxThreads: editorThreads(),
      timeoutS: s.timeLimitS,
      maxMemoryBytes: s.memoryLimitGB * GiB,
      // read by the runner once it supports per-run tolerances (ScriptRunSettings)
      tolerances: s.tolerances,
      onStart: (info) => listener.onStarted?.(info),
      onEvent: (e) => listener.onEvent(e.type === 'error' ? { ...e, error: forEditor(e.error, req) } : e),
    };
    const h = runInWorker(req.script, opts);
    const result = h.result.then((report: Report): Report => {
      if (cancelled || (report.errors.length === 1 && report.errors[0].kind === 'cancelled')) throw new RunAborted('cancelled', 'the simulation was stopped');
      return { ...report, errors: report.errors.map((e) => forEditor(e, req)) };
    });
    return {
      result,
      cancel: () => {
        cancelled = true;
        h.cancel();
      },
    };
  }
}
