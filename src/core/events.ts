import type { LedgerEntry } from './ledger.js';
import type { TraceEvent } from './trace.js';
import type { SimError } from './errors.js';

/** What a run streams as it goes; the runner forwards these to the CLI and the panel. */
export type SimEvent =
  | { readonly type: 'ledger'; readonly entry: LedgerEntry }
  | { readonly type: 'trace'; readonly event: TraceEvent }
  /**
   * How many ledger entries and trace events the run has recorded so far. Past a stream limit
   * (SimOptions.streamLimits) entries or events are no longer sent one by one; a tally is, every
   * TALLY_EVERY of them and once at the end.
   */
  | { readonly type: 'tally'; readonly ledger: number; readonly trace: number }
  /** A rank's state, when it changes from the one last sent for it (so: its first block, its end). */
  | { readonly type: 'rank-state'; readonly rank: number; readonly state: RankState }
  | { readonly type: 'error'; readonly error: SimError };

export type RankState = 'running' | 'blocked' | 'done' | 'failed';

/** Entries and events recorded past the stream limits between two tallies. */
export const TALLY_EVERY = 4096;

/** The most ledger entries and trace events a listener hears one by one. */
export interface StreamLimits {
  readonly ledger?: number;
  readonly trace?: number;
}
