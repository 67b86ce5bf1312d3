/**
 * The simulation worker (worker_threads): runs one script and posts back, as plain data,
 *   { type: "ready" }               once AutoDist's own code is loaded (the time limit starts)
 *   { type: "started", info }       once the script is loaded, before anything is allocated
 *   { type: "events", events: [] }  the streamed events, batched (every `batchMs` at most)
 *   { type: "report", report }      at the end, after the last events
 * The parent enforces the time limit and cancels by terminating this thread. The same script runs
 * as a child process (AUTODIST_CHILD=1, messages over IPC) when the run needs V8 flags.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { StreamEvent, WorkerInput, WorkerMessage, WorkerRunMessage } from './protocol.js';
import { runPlanJob } from './plan-job.js';
import { runScript } from './run-script.js';
import { installSourceMaps } from './sourcemaps.js';
import { SimError, type StopRequest } from '../core/errors.js';
import { reportErrorOf } from './errors.js';
import { guardProcess, stalled, uncaught, unhandled } from './stops.js';
import { WORKER_FLUSH } from './worker-inspect.js';

class Batcher {
  private queue: StreamEvent[] = [];
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly post: (m: WorkerMessage) => void,
    private readonly everyMs: number,
  ) {}

  /**
   * Queue an event; post the batch when `everyMs` has passed since the last post — checked on
   * each event, since a busy run rarely yields to timers. Progress and errors (rare, and what a
   * person waits for) go at once.
   */
  push(e: StreamEvent): void {
    this.queue.push(e);
    const now = performance.now();
    if (now - this.last >= this.everyMs || e.type === 'progress' || e.type === 'error') this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.everyMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.last = performance.now();
    if (this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.post({ type: 'events', events });
  }
}

async function main(port: { postMessage(m: WorkerMessage): void }, input: WorkerInput): Promise<void> {
  installSourceMaps();
  const post = (m: WorkerMessage) => port.postMessage(m);
  post({ type: 'ready' });
  const batch = new Batcher(post, input.batchMs);
  // the parent calls this through the inspector when the thread is stuck in a loop (worker-inspect.ts)
  (globalThis as Record<symbol, unknown>)[WORKER_FLUSH] = () => batch.flush();
  if (input.plan) {
    post({ type: 'report', report: await runPlanJob(input.plan) });
    return;
  }
  // what ends a thread without a report is turned into a stop of the run, which then reports
  // (stops.ts); a second stop while the first has not led to a report says so to the parent
  guardProcess();
  const controller = new AbortController();
  let done = false;
  const stop = (why: StopRequest | null) => {
    if (!why || done) return;
    if (!controller.signal.aborted) return controller.abort(why);
    batch.flush();
    const error = reportErrorOf(new SimError(why.kind, typeof why.headline === 'function' ? why.headline([]) : why.headline, { fix: why.fix, source: why.source }));
    post({ type: 'fatal', error });
  };
  currentStop = stop;
  listenOnce();
  // the parent holds the hard limit; the run stops itself first, at the rank and line that runs
  const t0 = performance.now();
  const report = await runScript(input.file, input.settings, {
    onEvent: (e) => batch.push(e),
    onStart: (info) => {
      batch.flush();
      post({ type: 'started', info });
    },
    signal: controller.signal,
    timeLimitMs: input.timeLimitS === undefined ? undefined : input.timeLimitS * 1000 - (performance.now() - t0),
    timeLimitS: input.timeLimitS,
  });
  done = true;
  batch.flush();
  post({ type: 'report', report });
}

/**
 * The process-wide listeners, installed once per thread: a kept worker (warm-worker.ts) runs many
 * scripts, and Node takes one uncaught-exception capture callback at most. They stop the run in
 * progress (`currentStop`).
 */
let currentStop: (why: StopRequest | null) => void = () => {};
let listening = false;

function listenOnce(): void {
  if (listening) return;
  listening = true;
  // a capture callback, not an 'uncaughtException' listener: tfjs's WASM glue (Emscripten) adds
  // listeners that rethrow, which would end the thread; its 'unhandledRejection' listener rethrows
  // the reason as an uncaught exception, so a rejection seen first is told apart here
  const rejected = new WeakSet<object>();
  process.prependListener('unhandledRejection', (e) => {
    if (typeof e === 'object' && e !== null) rejected.add(e);
    currentStop(unhandled(e));
  });
  process.setUncaughtExceptionCaptureCallback((e) => {
    if (typeof e === 'object' && e !== null && rejected.has(e)) return;
    currentStop(uncaught(e));
  });
  process.on('beforeExit', () => currentStop(stalled()));
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const first = workerData as WorkerInput;
  void main(port, first);
  // a kept worker (warm-worker.ts) runs the next script when asked, with what it has loaded
  if (first.keepAlive) port.on('message', (m: WorkerRunMessage) => m?.type === 'run' && void main(port, m.input));
} else if (process.env.AUTODIST_CHILD === '1' && process.send) {
  // a child process (run-in-worker.ts `inChild`: a V8 flag the parent could not give a thread):
  // the input comes as the first IPC message, the messages go back over IPC
  process.once('message', (input) => void main({ postMessage: (m) => process.send!(m) }, input as WorkerInput));
}
