/**
 * Turns what a run streams (RunEvent: ledger entries, trace events, rank states, errors,
 * progress) into the panel's LiveEvents, and batches them so the webview gets a few messages a
 * second rather than one per op. No `vscode` here: the webview tests record streams with it.
 */
import { Mesh, type MeshSpec } from '../core/mesh.js';
import type { SourceLocation } from '../core/source.js';
import type { RunEvent } from '../parallel/simulation/run.js';
import { collectiveInfo, timelineEvent } from '../parallel/simulation/report-build.js';
import type { LiveEvent } from '../protocol.js';
import type { MeshInfo, ReportError, SourceRef } from '../report/types.js';
import type { StreamEvent } from '../runner/protocol.js';

/** What a run streams: in-process (RunEvent, errors as SimError) or from the worker (StreamEvent). */
export type StreamedEvent = RunEvent | StreamEvent;

const src = (s: SourceLocation | undefined): SourceRef | undefined => (s ? { file: s.file, line: s.line, column: s.column } : undefined);

export { collectiveInfo, timelineEvent };

/** A SimError, or its structured clone from a worker thread (which lost the `headline` getter). */
interface ErrorLike {
  readonly kind?: string;
  readonly message?: string;
  readonly headline?: string;
  readonly fix?: string;
  readonly ranks?: readonly { readonly rank: number; readonly detail: string; readonly source?: SourceLocation }[];
  readonly source?: SourceLocation;
}

export function reportError(e: ErrorLike): ReportError {
  const message = e.message ?? 'unknown error';
  return {
    kind: e.kind ?? 'user-exception',
    message,
    headline: e.headline ?? message.split('\n')[0],
    fix: e.fix,
    ranks: (e.ranks ?? []).map((r) => ({ rank: r.rank, detail: r.detail, source: src(r.source) })),
    source: src(e.source),
  };
}

/** The mesh as the report will describe it (axes slowest first, every rank's coordinates). */
export function meshInfo(spec: MeshSpec): MeshInfo {
  const m = new Mesh(spec);
  return { axes: [...m.axes], sizes: [...m.sizes], worldSize: m.worldSize, coords: Array.from({ length: m.worldSize }, (_, r) => ({ ...m.coords(r) })) };
}

export function liveEvent(e: StreamedEvent): LiveEvent | undefined {
  switch (e.type) {
    case 'ledger':
      return { kind: 'collective', collective: collectiveInfo(e.entry) };
    case 'trace':
      return { kind: 'span', span: timelineEvent(e.event) };
    case 'rank-state':
      return { kind: 'rank', rank: e.rank, state: e.state };
    case 'error':
      return { kind: 'error', error: reportError(e.error) };
    case 'progress':
      return { kind: 'progress', stage: e.stage, percent: e.percent, message: e.message };
    case 'tally':
      return { kind: 'tally', collectives: e.ledger, events: e.trace };
    case 'output':
      return undefined; // a Python rank's printed text: the terminal's (the panel shows the report)
  }
}

/** Spans forwarded live at most (the final report carries the whole timeline). */
export const MAX_LIVE_SPANS = 20_000;

export interface Timer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimer: Timer = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/**
 * Collects LiveEvents and hands them on in batches, at most every `intervalMs`. Progress events
 * replace each other within a batch, and so do tallies; spans beyond MAX_LIVE_SPANS are dropped.
 */
export class LiveBatcher {
  private pending: LiveEvent[] = [];
  private handle: unknown = null;
  private spans = 0;

  constructor(
    private readonly flushTo: (events: LiveEvent[]) => void,
    private readonly intervalMs = 100,
    private readonly timer: Timer = realTimer,
  ) {}

  push(e: StreamedEvent | LiveEvent): void {
    const ev = 'kind' in e ? e : liveEvent(e);
    if (!ev) return;
    if (ev.kind === 'span' && ++this.spans > MAX_LIVE_SPANS) return;
    if (ev.kind === 'progress' || ev.kind === 'tally') {
      const i = this.pending.findIndex((p) => p.kind === ev.kind);
      if (i >= 0) this.pending.splice(i, 1);
    }
    this.pending.push(ev);
    if (this.handle === null) this.handle = this.timer.set(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.handle !== null) this.timer.clear(this.handle);
    this.handle = null;
    if (!this.pending.length) return;
    const out = this.pending;
    this.pending = [];
    this.flushTo(out);
  }

  dispose(): void {
    if (this.handle !== null) this.timer.clear(this.handle);
    this.handle = null;
    this.pending = [];
  }
}
