import type { StreamLimits } from '../core/events.js';
import type { LedgerEntry } from '../core/ledger.js';
import type { TraceEvent } from '../core/trace.js';
import { MAX_TIMELINE_EVENTS } from '../parallel/simulation/report-build.js';
import type { StreamEvent } from './protocol.js';

/**
 * What a script run streams one by one: the panel shows no more live (it keeps the first spans
 * only), and a stopped run's report no more timeline. Past these a run streams tallies; the
 * finished report has every entry and event.
 */
export const STREAM_LIMITS: StreamLimits = { ledger: 50_000, trace: MAX_TIMELINE_EVENTS + 1 };

/** Keeps what was streamed, for a report of a run that is stopped from outside. */
export class EventLog {
  readonly ledger: LedgerEntry[] = [];
  readonly trace: TraceEvent[] = [];
  /** What the run had recorded by its last tally (more than was streamed, past the limits). */
  recorded = { ledger: 0, trace: 0 };

  add(e: StreamEvent): void {
    if (e.type === 'ledger') this.ledger.push(e.entry);
    else if (e.type === 'trace' && this.trace.length <= MAX_TIMELINE_EVENTS) this.trace.push(e.event);
    else if (e.type === 'tally') this.recorded = { ledger: e.ledger, trace: e.trace };
  }
}
