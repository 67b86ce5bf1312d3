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
 * to the next. The order is a table of numbers (no array of millions of slots to grow and copy,
 * nothing for the garbage collector to scan). `toArray()` gives the plain objects every
 * consumer sees.
 */
export class TraceLog {
  /** Per event (int): the ledger seq of a compact comm event (≥ 0), or −1 − the index of an object event. */
  private readonly order = new RecordTable(0, 1);
  private readonly objects: TraceEvent[] = [];
  /** Where the rank or tag of compact comm events changes: the event's index, the rank, the tag's number. */
  private readonly changes = new RecordTable(0, 3);
  private readonly tags = new Interner<string | undefined>();
  /** Rank and tag of the last compact comm event. */
  private rank = -1;
  private tag: string | undefined = undefined;

  constructor(private readonly ledger: LedgerLog) {}

  get length(): number {
    return this.order.length;
  }

  push(e: TraceEvent): void {
    const o = this.order;
    o.add();
    o.i[o.io] = -1 - (this.objects.push(e) - 1);
  }

  /** The comm event of `rank` in collective `seq`, with the entry's phase, source and module. */
  pushComm(seq: number, rank: number, tag: string | undefined): void {
    const o = this.order;
    if (rank !== this.rank || tag !== this.tag) {
      const c = this.changes;
      c.add();
      c.i[c.io + AT] = o.length;
      c.i[c.io + RANK] = rank;
      c.i[c.io + TAG] = this.tags.id(tag);
      this.rank = rank;
      this.tag = tag;
    }
    o.add();
    o.i[o.io] = seq;
  }

  /** Every event as plain objects, in order (each compact one made now, with its stretch's rank and tag). */
  toArray(): TraceEvent[] {
    const o = this.order;
    const ch = this.changes;
    const out = new Array<TraceEvent>(o.length);
    let next = 0; // the next change of rank or tag
    let rank = -1;
    let tag: string | undefined;
    for (let i = 0; i < out.length; i++) {
      const it = o.int(i, 0);
      if (it < 0) {
        out[i] = this.objects[-1 - it];
        continue;
      }
      while (next < ch.length && ch.int(next, AT) <= i) {
        rank = ch.int(next, RANK);
        tag = this.tags.value(ch.int(next, TAG));
        next++;
      }
      out[i] = this.comm(it, rank, tag);
    }
    return out;
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
