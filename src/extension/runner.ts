/**
 * What the extension needs from whatever runs a script: start it off the extension host's event
 * loop, stream its events, give back the report, stop it. `worker-runner.ts` adapts the
 * runner's worker thread (src/runner) to this; tests pass a fake.
 */
import type { Report } from '../report/types.js';
import type { RunInfo as LoadedInfo } from '../runner/protocol.js';
import type { StreamedEvent } from './live.js';
import type { RunSettings } from './settings.js';

export type { LoadedInfo };

export interface RunRequest {
  /** Absolute path of the script. */
  readonly script: string;
  readonly mode: 'numeric' | 'meta';
  readonly settings: RunSettings;
}

export interface RunListener {
  /** The script is loaded (mesh, model known). */
  onStarted?(info: LoadedInfo): void;
  onEvent(e: StreamedEvent): void;
}

export interface RunHandle {
  /** Resolves with the report (also for a run that failed inside the script); rejects with a RunAborted. */
  readonly result: Promise<Report>;
  cancel(): void;
}

export interface SimulationRunner {
  start(req: RunRequest, listener: RunListener): RunHandle;
}

/** Why a run ended without a report. */
export class RunAborted extends Error {
  constructor(
    readonly reason: 'cancelled' | 'timeout' | 'memory' | 'crashed',
    message: string,
  ) {
    super(message);
    this.name = 'RunAborted';
  }
}
