import type { RankState } from '../core/events.js';
import type { LedgerEntry } from '../core/ledger.js';
import type { TraceEvent } from '../core/trace.js';
import type { RunEvent } from '../parallel/simulation/run.js';
import type { Report, ReportError } from '../report/types.js';
import type { BackendName } from './backend.js';
import type { MemoryEstimate } from './memory-guard.js';

/**
 * What a script run streams to whoever started it (the CLI, the panel), as JSON-safe objects:
 * they cross a worker_threads boundary and the extension↔webview boundary unchanged.
 * A run's own progress stages plus the runner's: "load" (reading and evaluating the script).
 */
export type RunStage = Extract<RunEvent, { type: 'progress' }>['stage'] | 'load';

export type StreamEvent =
  | { readonly type: 'progress'; readonly stage: RunStage; readonly percent: number; readonly message: string }
  | { readonly type: 'ledger'; readonly entry: LedgerEntry }
  | { readonly type: 'trace'; readonly event: TraceEvent }
  /** How many ledger entries and trace events the run has recorded (sent once it streams no more of them one by one). */
  | { readonly type: 'tally'; readonly ledger: number; readonly trace: number }
  | { readonly type: 'rank-state'; readonly rank: number; readonly state: RankState }
  | { readonly type: 'error'; readonly error: ReportError }
  /** What a Python rank printed (torchrun shows it as "[rank0]: …"). */
  | { readonly type: 'output'; readonly rank: number; readonly stream: 'stdout' | 'stderr'; readonly text: string };

/** What is known once the script is loaded and before anything is allocated. */
export interface RunInfo {
  readonly script: string;
  readonly backend: string;
  readonly mode: 'numeric' | 'meta';
  /** The effective mesh (the script's, with command-line overrides). */
  readonly mesh: Readonly<Record<string, number>>;
  readonly hardware?: string;
  readonly gpusPerNode?: number;
  readonly model?: { readonly name: string; readonly params: number; readonly config: unknown; readonly layers: readonly string[] };
  readonly input?: { readonly batch: number; readonly seq: number; readonly microbatches?: number };
  /** Numeric mode: the memory the run is expected to need (see memory-guard.ts). */
  readonly memory?: MemoryEstimate;
}

/** Overrides and limits of one script run (command-line flags, extension settings). */
export interface ScriptRunSettings {
  readonly mesh?: Readonly<Record<string, number>>;
  readonly mode?: 'numeric' | 'meta';
  readonly hardware?: string;
  readonly algorithm?: 'ring' | 'tree';
  readonly gpusPerNode?: number;
  readonly backend?: BackendName;
  /** Threads of the WASM backend (1: none); default: all cores for numeric runs of a few GFLOP or more (threads.ts). */
  readonly threads?: number;
  /** When AutoDist chooses the threads (no `threads`), at most this many (the editor keeps one core for VS Code). */
  readonly maxThreads?: number;
  /** Refuse numeric runs whose estimate exceeds this (default 4 GiB; Infinity turns it off). */
  readonly maxMemoryBytes?: number;
  /** Stop at the first op whose output holds NaN or ±Inf (numeric mode; default true). */
  readonly nanCheck?: boolean;
  /** Verification tolerances (scale-free error) overriding the dtype defaults. */
  readonly tolerances?: { readonly output?: number; readonly grad?: number };
  /** Python files: processes (torchrun's --nproc-per-node) and the script's own arguments. */
  readonly nprocPerNode?: number;
  readonly scriptArgs?: readonly string[];
  /** Python runs: the interrupt flag the parent sets at the time limit (see WorkerInput). */
  readonly interrupt?: SharedArrayBuffer;
  /** Write the verifier's tensors (input, labels, ref/… and sim/… outputs, gradients, loss) to this .safetensors file. */
  readonly dump?: string;
}

/** Worker → parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'started'; readonly info: RunInfo }
  | { readonly type: 'events'; readonly events: readonly StreamEvent[] }
  | { readonly type: 'report'; readonly report: Report }
  /** The run could not even stop with a report of its own (the parent builds one from what was streamed). */
  | { readonly type: 'fatal'; readonly error: ReportError };

/** Parent → worker, at start (workerData). */
/** A planner plan to simulate in meta mode (instead of a script), as plain data. */
export interface PlanJob {
  /** A preset id, or an HF config.json's contents and a name. */
  readonly model: string | { readonly config: unknown; readonly name: string };
  readonly gpus: number;
  readonly gpu: string;
  readonly seq: number;
  readonly globalBatch: number;
  /** The ParallelPlan the planner ranked (JSON). */
  readonly plan: unknown;
}

export interface WorkerInput {
  readonly file: string;
  /** Simulate this plan instead of loading `file` (then only a label). */
  readonly plan?: PlanJob;
  readonly settings: ScriptRunSettings;
  /** Post streamed events at most this often (ms). */
  readonly batchMs: number;
  /**
   * Python runs: one Int32 the parent sets to 2 (SIGINT) when the time limit passes; the
   * interpreter then raises KeyboardInterrupt in whichever rank is running, which names its line.
   */
  readonly interrupt?: SharedArrayBuffer;
  /** The run's time limit in seconds (the worker stops itself at the line that runs; the parent kills it a little later). */
  readonly timeLimitS?: number;
  /** Stay after the report and run the next `{ type: 'run', input }` message (warm-worker.ts). */
  readonly keepAlive?: boolean;
}

/** Parent → a kept worker: the next run. */
export interface WorkerRunMessage {
  readonly type: 'run';
  readonly input: WorkerInput;
}
