/** A SimulationRunner the test drives by hand: it records requests and plays events on demand. */
import type { StreamedEvent } from '../../../src/extension/live.js';
import { RunAborted, type LoadedInfo, type RunHandle, type RunListener, type RunRequest, type SimulationRunner } from '../../../src/extension/runner.js';
import type { Report } from '../../../src/report/types.js';

export interface FakeRun {
  readonly req: RunRequest;
  readonly listener: RunListener;
  cancelled: boolean;
  started(info: LoadedInfo): void;
  emit(...events: StreamedEvent[]): void;
  finish(report: Report): void;
  fail(e: Error): void;
}

export class FakeRunner implements SimulationRunner {
  readonly runs: FakeRun[] = [];

  start(req: RunRequest, listener: RunListener): RunHandle {
    let resolve!: (r: Report) => void;
    let reject!: (e: Error) => void;
    const result = new Promise<Report>((res, rej) => ((resolve = res), (reject = rej)));
    const run: FakeRun = {
      req,
      listener,
      cancelled: false,
      started: (info) => listener.onStarted?.(info),
      emit: (...es) => es.forEach((e) => listener.onEvent(e)),
      finish: (r) => resolve(r),
      fail: (e) => reject(e),
    };
    this.runs.push(run);
    return {
      result,
      cancel: () => {
        run.cancelled = true;
        reject(new RunAborted('cancelled', 'the simulation was stopped'));
      },
    };
  }
}

/** Lets pending promise callbacks run. */
export const tick = () => new Promise<void>((r) => setImmediate(r));
