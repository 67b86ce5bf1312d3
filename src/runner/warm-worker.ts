/**
 * One idle simulation worker thread kept after a run, for the next: a Python run's interpreter
 * (CPython in WebAssembly, ~3 s to start) stays loaded in it, so the editor's second run of a
 * PyTorch file starts at once. The idle worker is unref'd (it never keeps the process alive) and
 * ends after `idleMs`, when replaced, or on `dispose`.
 */
import type { Worker } from 'node:worker_threads';

export class WarmWorker {
  private idle: Worker | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly dropOnExit = () => this.forget();

  constructor(private readonly idleMs = 10 * 60_000) {}

  /** The idle worker, if any (now referenced again), for the caller's run. */
  take(): Worker | undefined {
    const w = this.idle;
    this.forget();
    w?.ref();
    return w;
  }

  /** Keep `w` (it finished its run cleanly) for the next run; an older idle worker ends. */
  give(w: Worker): void {
    if (this.idle && this.idle !== w) void this.idle.terminate();
    this.forget();
    this.idle = w;
    w.once('exit', this.dropOnExit);
    w.unref();
    this.timer = setTimeout(() => this.dispose(), this.idleMs);
    this.timer.unref?.();
  }

  dispose(): void {
    const w = this.idle;
    this.forget();
    if (w) void w.terminate();
  }

  private forget(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.idle?.off('exit', this.dropOnExit);
    this.idle = undefined;
  }
}
