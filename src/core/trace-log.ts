import { Interner, RecordTable } from './columns.js';
import type { LedgerLog } from './ledger-log.js';
import type { TraceEvent } from './trace.js';

/** Fields of a change of rank or tag among compact comm events (ints). */
const AT = 0;
const RANK = 1;
const TAG = 2;

/**
 * The run's trace, in order. Most events are kept as objects. The comm event of a member of a
 * collective whose phase, source and module are its ledger entry's (every member of an SPMD
 * program's collectives; always the one live member of a folded group) is kept as the entry's
 * seq: everything about it (name, start, end, phase, source, module, shapes) is the entry's,
 * except the rank and its tag, which are recorded only where they change from one such event
 * to the next. `toArray()` gives the plain objects every consumer sees.
 */
export class TraceLog {
  /** An event, or the ledger seq of a compact comm event. */
  private readonly items: (TraceEvent | number)[] = [];
  /** Where the rank or tag of compact comm events changes: the item's index, the rank, the tag's number. */
  private readonly changes = new RecordTable(0, 3);
  private readonly tags = new Interner<string | undefined>();
  /** Rank and tag of the last compact comm event. */
  private rank = -1;
  private tag: string | undefined = undefined;

  constructor(private readonly ledger: LedgerLog) {}

  get length(): number {
    return this.items.length;
  }

  push(e: TraceEvent): void {
    this.items.push(e);
  }

  /** The comm event of `rank` in collective `seq`, with the entry's phase, source and module. */
  pushComm(seq: number, rank: number, tag: string | undefined): void {
    if (rank !== this.rank || tag !== this.tag) {
      const c = this.changes;
      c.add();
      c.i[c.io + AT] = this.items.length;
      c.i[c.io + RANK] = rank;
      c.i[c.io + TAG] = this.tags.id(tag);
      this.rank = rank;
      this.tag = tag;
    }
    this.items.push(seq);
  }

  /**
   * Every event as plain objects, in order: the log's own list, each compact event replaced by
   * its object (the run is over when its result is read; nothing is added after).
   */
  toArray(): TraceEvent[] {
    const items = this.items;
    const ch = this.changes;
    for (let next = 0; next < ch.length; next++) {
      // the compact events from this change to the next share its rank and tag
      const rank = ch.int(next, RANK);
      const tag = this.tags.value(ch.int(next, TAG));
      const end = next + 1 < ch.length ? ch.int(next + 1, AT) : items.length;
      for (let i = ch.int(next, AT); i < end; i++) {
        const it = items[i];
        if (typeof it === 'number') items[i] = this.comm(it, rank, tag);
      }
    }
    return items as TraceEvent[];
  }

  /** The comm event of `rank` in collective `seq` (every field, in `traceEvent`'s order). */
  comm(seq: number, rank: number, tag: string | undefined): TraceEvent {
    const L = this.ledger;
    const c = L.context(seq);
    const k = L.kindIn(c);
    const start = L.startUs(seq);
    return {
      rank,
      kind: 'comm',
      name: k.op,
      phase: L.phaseIn(c),
      startUs: start,
      endUs: start + k.timeUs,
      inShapes: k.inShapes,
      outShape: k.outShape,
      flops: undefined,
      ledgerSeq: seq,
      source: L.sourceIn(c),
      module: L.moduleIn(c),
      tag,
    };
  }
}
