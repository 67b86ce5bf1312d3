import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Report, ReportError } from '../report/types.js';
import { failureReport } from './partial-report.js';
import type { RunInfo, ScriptRunSettings, StreamEvent, WorkerInput, WorkerMessage } from './protocol.js';
import type { PlanJob } from './protocol.js';
import { EventLog } from './event-log.js';
import type { WarmWorker } from './warm-worker.js';
import { timeLimitFix } from './errors.js';
import { pauseAndLocate, type PausedAt } from './worker-inspect.js';
import { isLibraryFile } from '../core/source.js';

export const DEFAULT_TIMEOUT_S = 120;
/** How long an interrupted Python run has to report where it was. */
const INTERRUPT_GRACE_MS = 5000;
const BOOT_TIMEOUT_S = 60;
/** How long after the time limit the parent stops a worker that did not stop its run itself. */
const HARD_STOP_GRACE_S = 2;

export interface WorkerRunOptions extends ScriptRunSettings {
  /** Simulate this planner plan (meta mode) instead of a script; `file` is then its label. */
  readonly plan?: PlanJob;
  /** Wall-time limit of the whole run in seconds (default 120; Infinity for none). */
  readonly timeoutS?: number;
  readonly onEvent?: (e: StreamEvent) => void;
  readonly onStart?: (info: RunInfo) => void;
  /** Post streamed events at most this often (default 50 ms). */
  readonly batchMs?: number;
  /**
   * Run in a child process instead of a worker thread: a Python file needs WebAssembly stack
   * switching (JSPI), a V8 flag that only a new process can be given — VS Code's extension host
   * (Electron) may lack it. The child is this Node (Electron as Node) with `childExecArgv`.
   */
  readonly inChild?: boolean;
  /** V8/Node flags of the child (default: the JSPI flag). */
  readonly childExecArgv?: readonly string[];
  /**
   * Take the worker thread from here if one is idle, and leave it here after a clean run (not
   * cancelled, not past its limit): what it loaded (Python's interpreter) serves the next run.
   */
  readonly warm?: WarmWorker;
}

/** A run in progress. */
export interface RunHandle {
  /** Always resolves: a run that fails, times out or is cancelled gives a report with exit code 2. */
  readonly result: Promise<Report>;
  /** The streamed events from the moment of the call on (subscribe before awaiting `result`). */
  events(): AsyncIterable<StreamEvent>;
  /** Stop now (the worker is terminated); `result` resolves with a "cancelled" report. */
  cancel(): void;
}

/**
 * Run a script in a worker thread, streaming its events and resolving with its report. The
 * worker is terminated on cancel and when the wall-time limit passes, so a script stuck in an
 * infinite loop cannot hang the caller.
 */
export function runInWorker(file: string, opts: WorkerRunOptions = {}): RunHandle {
  const t0 = performance.now();
  const script = path.resolve(file);
  const { timeoutS = DEFAULT_TIMEOUT_S, onEvent, onStart, batchMs = 50, plan, inChild, childExecArgv, warm: warmIn, ...settings } = opts;
  const warm = inChild ? undefined : warmIn;
  // Python: the flag the time limit sets to interrupt the running rank (not across a process)
  const python = !plan && script.endsWith('.py');
  const interrupt = python && !inChild ? new SharedArrayBuffer(4) : undefined;
  const input: WorkerInput = { file: plan ? file : script, settings: interrupt ? { ...settings, interrupt } : settings, batchMs, plan, interrupt, timeLimitS: Number.isFinite(timeoutS) ? timeoutS : undefined, ...(warm ? { keepAlive: true } : {}) };
  const log = new EventLog();
  const subscribers = new Set<(e: StreamEvent | null) => void>();
  let info: RunInfo | undefined;
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let resolve!: (r: Report) => void;
  const result = new Promise<Report>((r) => (resolve = r));

  const reused = warm?.take();
  if (reused) reused.postMessage({ type: 'run', input });
  const worker: WorkerLike = inChild ? spawnChild(input, childExecArgv ?? [JSPI_FLAG]) : (reused ?? spawnWorker(input));
  const deliver = (e: StreamEvent) => {
    log.add(e);
    onEvent?.(e);
    for (const s of subscribers) s(e);
  };
  const finish = (report: Report, clean = false) => {
    if (settled) return;
    settled = true;
    if (timer) clearTimeout(timer);
    for (const s of subscribers) s(null);
    subscribers.clear();
    if (clean && warm) {
      // the run ended by itself: the worker, quiet now, waits for the next
      worker.off?.('message', onMessage);
      worker.off?.('error', onError);
      worker.off?.('exit', onExit);
      warm.give(worker as Worker);
    } else void worker.terminate();
    resolve(report);
  };
  const stop = (error: ReportError) => {
    if (settled) return;
    deliver({ type: 'error', error });
    finish(failureReport({ info, script, errors: [error], ledger: log.ledger, trace: log.trace, recorded: log.recorded, wallMs: performance.now() - t0 }));
  };

  const onMessage = (m: WorkerMessage) => {
    if (settled) return;
    if (m.type === 'ready') armRunTimer();
    else if (m.type === 'started') {
      info = m.info;
      onStart?.(m.info);
    } else if (m.type === 'events') for (const e of m.events) deliver(e);
    else if (m.type === 'report') finish(m.report, true);
    else if (m.type === 'fatal') stop(m.error);
  };
  const onError = (e: Error) => stop({ kind: 'internal', message: `the simulation worker failed: ${e.stack ?? e.message}`, headline: `the simulation worker failed: ${e.message}`, ranks: [] });
  const onExit = (code: number | null, detail?: string) => {
    if (!settled) stop({ kind: 'internal', message: `the simulation worker exited (code ${code}) without a report${detail ? `:\n${detail}` : ''}`, headline: `the simulation worker exited (code ${code}) without a report${detail ? `: ${detail.split('\n').at(-1)}` : ''}`, fix: 'the run may have run out of memory: try --meta or a smaller model', ranks: [] });
  };
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  // The limit counts from the moment the worker has loaded AutoDist (booting it from the
  // TypeScript sources takes a while); a worker that does not even boot is stopped too.
  // the error is made when the timer fires: what to suggest depends on the run's mode, known once the script has loaded
  const armTimer = (seconds: number, error: () => { headline: string; fix: string }, locate = false) => {
    if (timer) clearTimeout(timer);
    timer = Number.isFinite(seconds) ? setTimeout(() => {
      const { headline, fix } = error();
      if (interrupt && info && Atomics.load(new Int32Array(interrupt), 0) === 0) {
        // Python: interrupt the running rank, whose report then names the rank and the line it
        // was on; if none comes in a few seconds, stop the worker as for any script
        Atomics.store(new Int32Array(interrupt), 0, 2);
        timer = setTimeout(() => stop({ kind: 'time-limit', message: headline, headline, fix, ranks: [] }), INTERRUPT_GRACE_MS);
        return;
      }
      if (!locate) return stop({ kind: 'time-limit', message: headline, headline, fix, ranks: [] });
      // pause the stuck thread to read the line it loops on (and have it post its queued events)
      // (a child process cannot be paused from here: its loop is reported without a line)
      if (!(worker instanceof Worker)) return stop({ kind: 'time-limit', message: headline, headline, fix, ranks: [] });
      void pauseAndLocate(worker).then((at) => setTimeout(() => stop(loopError(headline, fix, at)), 50));
    }, seconds * 1000) : null;
  };
  armTimer(Math.max(BOOT_TIMEOUT_S, timeoutS), () => ({ headline: 'the simulation worker did not start', fix: 'check that AutoDist is built (npm run build)' }));
  // the worker stops its run itself at the limit, at the rank and line that runs; this one is for a
  // thread that cannot: a loop of the person's own that never calls AutoDist nor awaits
  const armRunTimer = () =>
    armTimer(timeoutS + HARD_STOP_GRACE_S, () => ({
      headline: `time limit of ${timeoutS} s exceeded`,
      fix: timeLimitFix(info?.mode ?? settings.mode),
    }), true);

  return {
    result,
    cancel: () => stop({ kind: 'cancelled', message: 'run cancelled', headline: 'run cancelled', ranks: [] }),
    events: () => subscribe(subscribers, settled),
  };
}

/** The hard time limit's error, with the line the thread was paused at (worker-inspect.ts) when known. */
function loopError(headline: string, fix: string, at: PausedAt | null): ReportError {
  const frame = at?.frames.find((f) => !isLibraryFile(f.file));
  // no line of the person's code on the paused stack: AutoDist's own work was still going
  if (!frame) return { kind: 'time-limit', message: headline, headline: `${headline} (the stopped thread's stack shows no line of your code)`, fix, ranks: [] };
  const who = at?.rank !== undefined ? `rank ${at.rank}` : 'a rank';
  const h = `${headline} in a loop that never calls AutoDist nor awaits: ${who} loops at ${path.basename(frame.file)}:${frame.line}`;
  return { kind: 'time-limit', message: h, headline: h, fix, source: frame, ranks: at?.rank !== undefined ? [{ rank: at.rank, detail: 'loops here', source: frame }] : [] };
}

function subscribe(subscribers: Set<(e: StreamEvent | null) => void>, done: boolean): AsyncIterable<StreamEvent> {
  const queue: (StreamEvent | null)[] = done ? [null] : [];
  let wake: (() => void) | null = null;
  const push = (e: StreamEvent | null) => {
    queue.push(e);
    wake?.();
    wake = null;
  };
  if (!done) subscribers.add(push);
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (queue.length === 0) await new Promise<void>((r) => (wake = r));
          const e = queue.shift()!;
          if (e === null) return;
          yield e;
        }
      } finally {
        subscribers.delete(push);
      }
    },
  };
}

/** V8's flag for WebAssembly stack switching (JSPI) before it is on by default (Node 24). */
export const JSPI_FLAG = '--experimental-wasm-stack-switching';

/** What the run needs of a worker thread or a child process. */
interface WorkerLike {
  on(e: 'message', l: (m: WorkerMessage) => void): unknown;
  on(e: 'error', l: (e: Error) => void): unknown;
  /** `detail`: a child process's last lines on stderr (why it did not start). */
  on(e: 'exit', l: (code: number | null, detail?: string) => void): unknown;
  off?(e: string, l: (...a: never[]) => void): unknown;
  terminate(): unknown;
}

/**
 * The worker script in a child process (worker.ts answers over IPC when AUTODIST_CHILD is set):
 * this process's executable — Electron run as Node in VS Code — with `execArgv`.
 */
function spawnChild(input: WorkerInput, execArgv: readonly string[]): WorkerLike {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const bundled = path.join(here, 'worker.js');
  const fromBundle = process.env.AUTODIST_BUNDLED === '1' || (existsSync(bundled) && !existsSync(path.join(here, 'worker.ts')));
  const env: NodeJS.ProcessEnv = { ...process.env, AUTODIST_CHILD: '1', ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
  const child: ChildProcess = fromBundle
    ? fork(bundled, [], { execArgv: [...execArgv], env, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    : fork(path.join(here, 'worker.ts'), [], { execArgv: [...execArgv, '--import', 'tsx'], env, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  child.send(input);
  const w: WorkerLike = {
    on(e: 'message' | 'error' | 'exit', l: (...a: never[]) => void) {
      if (e === 'exit') child.on('exit', (code) => (l as (c: number | null, d?: string) => void)(code, stderr.trim() || undefined));
      else child.on(e, l as (...a: unknown[]) => void);
      return w;
    },
    terminate: () => child.kill(),
  };
  return w;
}

/**
 * The worker: dist/worker.js next to the bundle that runs this code, or — when running from the
 * TypeScript sources (tests, tsx) — src/runner/worker.ts through tsx's CommonJS hook.
 */
function spawnWorker(input: WorkerInput): Worker {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const bundled = path.join(here, 'worker.js');
  if (process.env.AUTODIST_BUNDLED === '1' || (existsSync(bundled) && !existsSync(path.join(here, 'worker.ts')))) {
    return new Worker(bundled, { workerData: input });
  }
  const source = path.join(here, 'worker.ts');
  const tsx = createRequire(source).resolve('tsx/cjs/api');
  const code = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`;
  return new Worker(code, { eval: true, workerData: input });
}
