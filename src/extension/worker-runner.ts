/**
 * The SimulationRunner of the extension: src/runner's worker thread (the simulation never runs
 * on the extension host's event loop), with the settings turned into its options. The runner's
 * messages speak of command-line flags; here they name the settings and commands instead.
 */
import type { Report, ReportError } from '../report/types.js';
import { runInWorker, type WorkerRunOptions } from '../runner/run-in-worker.js';
import { editorThreads } from '../runner/threads.js';
import { COMMAND_TITLES, COMMANDS } from './ids.js';
import { RunAborted, type RunHandle, type RunListener, type RunRequest, type SimulationRunner } from './runner.js';

const GiB = 2 ** 30;
const META = `run "AutoDist: ${COMMAND_TITLES[COMMANDS.simulateMeta]}" (shapes, bytes and time only)`;

/** The runner's errors about limits, with the extension's words for what to change. */
export function forEditor(e: ReportError, req: RunRequest): ReportError {
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

export class WorkerRunner implements SimulationRunner {
  start(req: RunRequest, listener: RunListener): RunHandle {
    const s = req.settings;
    let cancelled = false;
    const opts: WorkerRunOptions & { readonly tolerances: RunRequest['settings']['tolerances'] } = {
      mode: req.mode,
      mesh: s.mesh,
      hardware: s.hardware,
      algorithm: s.algorithm,
      backend: s.backend,
      // a Python file's processes (the file's line, the setting or the person's pick: nproc.ts)
      nprocPerNode: s.nprocPerNode,
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
