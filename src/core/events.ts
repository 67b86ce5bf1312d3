import type { LedgerEntry } from './ledger.js';
import type { TraceEvent } from './trace.js';
import type { SimError } from './errors.js';

/** What a run streams as it goes; the runner forwards these to the CLI and the panel. */
export type SimEvent =
  | { readonly type: 'ledger'; readonly entry: LedgerEntry }
  | { readonly type: 'trace'; readonly event: TraceEvent }
  | { readonly type: 'rank-state'; readonly rank: number; readonly state: RankState }
  | { readonly type: 'error'; readonly error: SimError };

export type RankState = 'running' | 'blocked' | 'done' | 'failed';
