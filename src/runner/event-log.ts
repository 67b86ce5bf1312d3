import type { LedgerEntry } from '../core/ledger.js';
import type { TraceEvent } from '../core/trace.js';
import { MAX_TIMELINE_EVENTS } from '../parallel/simulation/report-build.js';
import type { StreamEvent } from './protocol.js';

/** Keeps what was streamed, for a report of a run that is stopped from outside. */
export class EventLog {
  readonly ledger: LedgerEntry[] = [];
  readonly trace: TraceEvent[] = [];

  add(e: StreamEvent): void {
    if (e.type === 'ledger') this.ledger.push(e.entry);
    else if (e.type === 'trace' && this.trace.length <= MAX_TIMELINE_EVENTS) this.trace.push(e.event);
  }
}
