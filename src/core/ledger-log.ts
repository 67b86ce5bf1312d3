import { Interner, RecordTable } from './columns.js';
import type { LedgerEntry, Phase } from './ledger.js';
import type { SourceLocation } from './source.js';

/**
 * What every call of one kind shares: the same collective (op, reduction, group, shape, dtype,
 * root) on the same world moves the same bytes in the same time and stands for the same number
 * of groups. The engine makes one per kind and keeps it; a send/recv's kind is made per message
 * (its `tag` is part of it). A `LedgerEntry` is itself a kind (a replayed stretch issues its
 * recorded entries again).
 */
export type LedgerKind = Pick<
  LedgerEntry,
  'op' | 'reduceOp' | 'axis' | 'group' | 'ranks' | 'dtype' | 'shape' | 'elements' | 'bytes' | 'algorithm' | 'sentBytes' | 'recvBytes' | 'sentBytesPerRank' | 'wireBytes' | 'steps' | 'link' | 'timeUs' | 'tag' | 'multiplicity'
> & {
  /** The shapes on the comm event of a member (kinds the engine makes for collectives). */
  readonly inShapes?: readonly (readonly number[])[];
  readonly outShape?: readonly number[];
};

/** Fields of a context (ints): the numbers of its kind, phase, label, module and source. */
const KIND = 0;
const PHASE = 1;
const LABEL = 2;
const MODULE = 3;
const SOURCE = 4;

/**
 * The run's ledger, in order (an entry's seq is its position). An entry is a record of its start
 * and its context: what it shares with the calls before it — kind, phase, label, module and
 * source, numbered once — a new context wherever one of them changes. Everything else is its
 * kind's, shared by reference. A meta run records millions of entries this way without keeping
 * an object for each. `at(i)` builds entry i as the plain object every consumer sees (reports,
 * the event stream, structured clone, JSON).
 */
export class LedgerLog {
  /** Per entry: its start (float), its context's number (int). */
  private readonly records = new RecordTable(1, 1);
  private readonly contexts = new RecordTable(0, 5);
  private readonly kinds = new Interner<LedgerKind>();
  private readonly phases = new Interner<Phase>();
  private readonly labels = new Interner<string | undefined>();
  /** The module the caller was in ('' stays '' here; the entry says undefined for both). */
  private readonly modules = new Interner<string | undefined>();
  /** The module's construction site (meta runs), or the call's line: one object per capture. */
  private readonly sources = new Interner<SourceLocation | undefined>();
  /** The last context's number, and what it was made of. */
  private lastContext = -1;
  private lastKind: LedgerKind | undefined;
  private lastPhase: Phase | undefined;
  private lastLabel: string | undefined;
  private lastModule: string | undefined;
  private lastSource: SourceLocation | undefined;

  get length(): number {
    return this.records.length;
  }

  /** Record an entry; returns its seq. */
  push(kind: LedgerKind, startUs: number, phase: Phase, source: SourceLocation | undefined, label: string | undefined, module: string | undefined): number {
    if (kind !== this.lastKind || phase !== this.lastPhase || label !== this.lastLabel || module !== this.lastModule || source !== this.lastSource || this.lastContext < 0) {
      this.newContext(kind, phase, label, module, source);
    }
    const r = this.records;
    const seq = r.add();
    r.f[r.fo] = startUs;
    r.i[r.io] = this.lastContext;
    return seq;
  }

  private newContext(kind: LedgerKind, phase: Phase, label: string | undefined, module: string | undefined, source: SourceLocation | undefined): void {
    const c = this.contexts;
    this.lastContext = c.add();
    c.i[c.io + KIND] = this.kinds.id(kind);
    c.i[c.io + PHASE] = this.phases.id(phase);
    c.i[c.io + LABEL] = this.labels.id(label);
    c.i[c.io + MODULE] = this.modules.id(module);
    c.i[c.io + SOURCE] = this.sources.id(source);
    this.lastKind = kind;
    this.lastPhase = phase;
    this.lastLabel = label;
    this.lastModule = module;
    this.lastSource = source;
  }

  /** The number of entry i's context (what it shares with the calls around it). */
  context(i: number): number {
    return this.records.int(i, 0);
  }

  kindIn(context: number): LedgerKind {
    return this.kinds.value(this.contexts.int(context, KIND));
  }

  phaseIn(context: number): Phase {
    return this.phases.value(this.contexts.int(context, PHASE));
  }

  labelIn(context: number): string | undefined {
    return this.labels.value(this.contexts.int(context, LABEL));
  }

  /** The caller's module as it was ('' included), for the comm event of the entry. */
  moduleIn(context: number): string | undefined {
    return this.modules.value(this.contexts.int(context, MODULE));
  }

  sourceIn(context: number): SourceLocation | undefined {
    return this.sources.value(this.contexts.int(context, SOURCE));
  }

  startUs(i: number): number {
    return this.records.float(i, 0);
  }

  /**
   * Entry i as a plain object, with the fields in the order the engine always wrote them: a
   * collective's (with reduceOp and label) or a send/recv's (with tag).
   */
  at(i: number): LedgerEntry {
    const c = this.context(i);
    const k = this.kindIn(c);
    const phase = this.phaseIn(c);
    const startUs = this.startUs(i);
    const source = this.sourceIn(c);
    const module = this.moduleIn(c) || undefined;
    if (k.op === 'send_recv') {
      return {
        seq: i,
        op: k.op,
        axis: k.axis,
        group: k.group,
        ranks: k.ranks,
        phase,
        dtype: k.dtype,
        shape: k.shape,
        elements: k.elements,
        bytes: k.bytes,
        algorithm: k.algorithm,
        sentBytes: k.sentBytes,
        recvBytes: k.recvBytes,
        sentBytesPerRank: k.sentBytesPerRank,
        wireBytes: k.wireBytes,
        steps: k.steps,
        link: k.link,
        startUs,
        timeUs: k.timeUs,
        source,
        tag: k.tag,
        module,
        multiplicity: k.multiplicity,
      };
    }
    return {
      seq: i,
      op: k.op,
      reduceOp: k.reduceOp,
      axis: k.axis,
      group: k.group,
      ranks: k.ranks,
      phase,
      dtype: k.dtype,
      shape: k.shape,
      elements: k.elements,
      bytes: k.bytes,
      algorithm: k.algorithm,
      sentBytes: k.sentBytes,
      recvBytes: k.recvBytes,
      sentBytesPerRank: k.sentBytesPerRank,
      wireBytes: k.wireBytes,
      steps: k.steps,
      link: k.link,
      startUs,
      timeUs: k.timeUs,
      source,
      label: this.labelIn(c),
      module,
      multiplicity: k.multiplicity,
    };
  }

  /** Every entry as plain objects. */
  toArray(): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    for (let i = 0; i < this.records.length; i++) out.push(this.at(i));
    return out;
  }
}
