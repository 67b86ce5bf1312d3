import type { Phase } from './ledger.js';
import type { SourceLocation } from './source.js';

/**
 * One event on a rank's simulated timeline.
 *  compute — an op's kernel time (roofline of its FLOPs and bytes on the hardware preset);
 *  comm    — the rank's part of a collective or send/recv, from the moment all peers are there;
 *  wait    — time a rank spent blocked waiting for its peers (pipeline bubbles show up here).
 */
export type TraceKind = 'compute' | 'comm' | 'wait';

/** What onCommStream appends to the tag of events it runs on a communication stream (they overlap compute: not busy time). */
export const STREAM_TAG = '@stream';

/** Whether a trace event ran on a communication stream, beside the compute (RankContext.onCommStream). */
export function onStream(e: { readonly tag?: string }): boolean {
  return e.tag !== undefined && e.tag.endsWith(STREAM_TAG);
}

/**
 * Whether a trace event is the compute waiting for one of the rank's own communication streams
 * (RankContext.waitCommStream: the exposed part of an overlapped collective — blocking
 * communication, not idle); a wait for another rank has the ledger entry it waits in.
 */
export function isStreamWait(e: { readonly kind: TraceKind; readonly ledgerSeq?: number }): boolean {
  return e.kind === 'wait' && e.ledgerSeq === undefined;
}

export interface TraceEvent {
  readonly rank: number;
  readonly kind: TraceKind;
  readonly name: string;
  readonly phase: Phase;
  readonly startUs: number;
  readonly endUs: number;
  readonly inShapes?: readonly (readonly number[])[];
  readonly outShape?: readonly number[];
  readonly flops?: number;
  /** Ledger entry for comm events. */
  readonly ledgerSeq?: number;
  readonly source?: SourceLocation;
  /** The module the op ran in (e.g. "h.0.attn.c_attn"), when known. */
  readonly module?: string;
  /** Free-form tag: microbatch id, stage, ... */
  readonly tag?: string;
}

/**
 * A trace event with every field present, in one order: all events then share one object shape,
 * which keeps loops over hundreds of thousands of them fast.
 */
export function traceEvent(e: TraceEvent): TraceEvent {
  return {
    rank: e.rank,
    kind: e.kind,
    name: e.name,
    phase: e.phase,
    startUs: e.startUs,
    endUs: e.endUs,
    inShapes: e.inShapes,
    outShape: e.outShape,
    flops: e.flops,
    ledgerSeq: e.ledgerSeq,
    source: e.source,
    module: e.module,
    tag: e.tag,
  };
}
