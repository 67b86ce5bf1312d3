import type { RankContext } from './context.js';
import type { DType } from './dtype.js';
import type { LedgerEntry } from './ledger.js';
import { Tensor } from './tensor.js';
import { isStreamWait, onStream, STREAM_TAG, type TraceEvent } from './trace.js';

/**
 * Repeated stretches of one rank's program, recorded and replayed (meta mode only).
 *
 * A pipeline chunk's forward, or backward, does the same thing on every micro-batch: the same
 * ops with the same shapes and durations, the same collectives, the same allocations. A stretch
 * is recorded while it runs for real — its trace events, its ledger entries, its memory log
 * (ticks, allocations, uses, pins, releases), its flops and its clock advance. When two
 * consecutive real runs left the same record (`sameSegment`), the stretch is steady: later
 * repetitions are replayed from the record at the rank's current clock (events shifted in time,
 * fresh ledger sequence numbers, the same allocation pattern at fresh memory indices) without
 * running an op. A replay leaves exactly what a real run would, up to float rounding of the times.
 *
 * A stretch that touches another live rank (a collective with a live peer, a send or a recv)
 * cannot be replayed alone; recording it marks it `dirty` and it keeps running for real. So does
 * one that waits for a communication stream of its own whose work began before it or runs on past
 * its end (the stream's state is not part of the record).
 * Module hooks are not called on replayed stretches.
 */

/** Memory indices [base, base + count) allocated by one earlier stretch. */
export interface IndexRange {
  readonly base: number;
  readonly count: number;
}

/**
 * The memory a stretch may read that it did not allocate: ranges of earlier stretches (the
 * forward of the same micro-batch, the previous backward) and single tensors (a received input,
 * an output gradient). Anything else is addressed absolutely (a parameter, a cached table) —
 * comparing two real runs makes sure that is the same tensor each time.
 */
export interface IndexFrame {
  readonly ranges: readonly IndexRange[];
  readonly singles: readonly number[];
}

/** Memory log op codes; a reference is three numbers: kind, a, b. */
const TICK = 0;
const ALLOC = 1;
const USE = 2;
const PIN = 3;
const RELEASE = 4;
/** Reference kinds: allocated by this stretch (a = offset), in frame range a (b = offset), frame single a, absolute a, none. */
const OWN = 0;
const RANGE = 1;
const SINGLE = 2;
const ABSOLUTE = 3;
const NONE = 4;

type Item = { readonly trace: TraceEvent } | { readonly ledger: LedgerEntry };

interface TensorRef {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly requiresGrad: boolean;
  readonly kind: number;
  readonly a: number;
  readonly b: number;
}

/** What a stretch left behind, replayable. */
export interface Segment {
  readonly items: readonly Item[];
  readonly mem: readonly number[];
  readonly clock0: number;
  readonly duration: number;
  readonly flops: number;
  readonly allocs: number;
  /** The tensors the rest of the program holds on to afterwards (null where there was none). */
  readonly outputs: readonly (TensorRef | null)[];
}

/** A stretch being recorded (ctx.segment while it runs). */
export class SegmentRecorder {
  readonly mem: number[] = [];
  readonly items: Item[] = [];
  /** Why this stretch cannot be replayed; null while it still can. */
  dirty: string | null = null;
  readonly base: number;
  readonly clock0: number;
  private readonly flops0: number;
  /** The compute waited for a communication stream of its own (RankContext.waitCommStream). */
  private streamWait = false;
  /** A communication stream was still busy when the stretch began. */
  private readonly streamBusyAtStart: boolean;

  constructor(
    private readonly ctx: RankContext,
    private readonly frame: IndexFrame,
  ) {
    this.base = ctx.memory.size;
    this.clock0 = ctx.clock;
    this.flops0 = ctx.world.computeFlops[ctx.rank];
    this.streamBusyAtStart = streamBusyAfter(ctx, ctx.clock);
  }

  tick(): void {
    this.mem.push(TICK);
  }

  alloc(bytes: number, pinned: boolean): void {
    this.mem.push(ALLOC, bytes, pinned ? 1 : 0);
  }

  private op(code: typeof USE | typeof PIN | typeof RELEASE, index: number): void {
    this.mem.push(code);
    this.ref(index, this.mem);
  }

  use(index: number): void {
    this.op(USE, index);
  }

  pin(index: number): void {
    this.op(PIN, index);
  }

  release(index: number): void {
    this.op(RELEASE, index);
  }

  trace(e: TraceEvent): void {
    // a wait for a collective or a send (it has a ledger entry) is a wait for another rank; a wait
    // for one of the rank's own communication streams replays when the stretch holds all of that
    // stream's work (checked in finish: the tensor-parallel overlap, core/async-grad.ts)
    if (isStreamWait(e)) this.streamWait = true;
    else if (e.kind === 'wait') this.dirty ??= 'it waits for another rank';
    if (onStream(e) && e.startUs < this.clock0 - 1e-6) this.dirty ??= 'it runs communication from before it began';
    this.items.push({ trace: e });
  }

  ledger(e: LedgerEntry): void {
    this.items.push({ ledger: e });
  }

  /** Encode a memory index relative to this stretch and its frame. */
  private ref(index: number, out: number[]): void {
    if (index < 0) out.push(NONE, 0, 0);
    else if (index >= this.base) out.push(OWN, index - this.base, 0);
    else {
      const ri = this.frame.ranges.findIndex((r) => index >= r.base && index < r.base + r.count);
      if (ri >= 0) out.push(RANGE, ri, index - this.frame.ranges[ri].base);
      else {
        const si = this.frame.singles.indexOf(index);
        out.push(...(si >= 0 ? [SINGLE, si, 0] : [ABSOLUTE, index, 0]));
      }
    }
  }

  /** Close the recording: the segment, or null when it cannot be replayed. */
  finish(outputs: readonly (Tensor | null | undefined)[]): Segment | null {
    const ctx = this.ctx;
    if (this.streamWait && (this.streamBusyAtStart || streamBusyAfter(ctx, ctx.clock))) this.dirty ??= 'it waits for a communication stream busy beyond it';
    if (this.dirty) return null;
    const outs: (TensorRef | null)[] = outputs.map((t) => {
      if (!t) return null;
      const r: number[] = [];
      this.ref(t.memIndex, r);
      return { shape: t.shape, dtype: t.dtype, requiresGrad: t.requiresGrad, kind: r[0], a: r[1], b: r[2] };
    });
    // a comm event of a collective not recorded here (completed by another rank) cannot be replayed
    const seqs = new Set<number>();
    for (const it of this.items) {
      if ('ledger' in it) seqs.add(it.ledger.seq);
      else if (it.trace.ledgerSeq !== undefined && it.trace.ledgerSeq >= 0 && !seqs.has(it.trace.ledgerSeq)) return null;
    }
    return {
      items: this.items,
      mem: this.mem,
      clock0: this.clock0,
      duration: ctx.clock - this.clock0,
      flops: ctx.world.computeFlops[ctx.rank] - this.flops0,
      allocs: ctx.memory.size - this.base,
      outputs: outs,
    };
  }
}

/** Times agree to a nanosecond (they are sums of the same durations from different starts). */
function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-3 + 1e-12 * Math.abs(a);
}

function sameShape(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameSource(a: TraceEvent['source'], b: TraceEvent['source']): boolean {
  return a === b || (!!a && !!b && a.file === b.file && a.line === b.line && a.column === b.column);
}

/**
 * Would replaying `b` leave what `a` left, at another start time? The same memory log, the same
 * events with the same durations at the same offsets, the same collectives, the same outputs.
 */
export function sameSegment(a: Segment, b: Segment): boolean {
  if (!near(a.duration, b.duration) || a.flops !== b.flops || a.allocs !== b.allocs) return false;
  if (a.mem.length !== b.mem.length || a.items.length !== b.items.length || a.outputs.length !== b.outputs.length) return false;
  for (let i = 0; i < a.mem.length; i++) if (a.mem[i] !== b.mem[i]) return false;
  const seqA = new Map<number, number>();
  const seqB = new Map<number, number>();
  for (let i = 0; i < a.items.length; i++) {
    const x = a.items[i];
    const y = b.items[i];
    if ('ledger' in x) {
      if (!('ledger' in y)) return false;
      const p = x.ledger;
      const q = y.ledger;
      seqA.set(p.seq, i);
      seqB.set(q.seq, i);
      if (p.op !== q.op || p.reduceOp !== q.reduceOp || p.group !== q.group || p.dtype !== q.dtype || p.bytes !== q.bytes || p.phase !== q.phase) return false;
      if (p.module !== q.module || p.label !== q.label || p.multiplicity !== q.multiplicity || !sameShape(p.shape, q.shape) || !sameSource(p.source, q.source)) return false;
      if (!near(p.timeUs, q.timeUs) || !near(p.startUs - a.clock0, q.startUs - b.clock0)) return false;
    } else {
      if ('ledger' in y) return false;
      const p = x.trace;
      const q = y.trace;
      if (p.kind !== q.kind || p.name !== q.name || p.phase !== q.phase || p.flops !== q.flops || p.module !== q.module || !sameSource(p.source, q.source)) return false;
      if (!near(p.startUs - a.clock0, q.startUs - b.clock0) || !near(p.endUs - a.clock0, q.endUs - b.clock0)) return false;
      if (!sameShape(p.outShape, q.outShape) || (p.inShapes?.length ?? 0) !== (q.inShapes?.length ?? 0)) return false;
      if (p.inShapes && q.inShapes && p.inShapes.some((sh, k) => !sameShape(sh, q.inShapes![k]))) return false;
      const ls = (e: TraceEvent, m: Map<number, number>) => (e.ledgerSeq === undefined || e.ledgerSeq < 0 ? e.ledgerSeq : (m.get(e.ledgerSeq) ?? -2));
      if (ls(p, seqA) !== ls(q, seqB)) return false;
    }
  }
  for (let i = 0; i < a.outputs.length; i++) {
    const p = a.outputs[i];
    const q = b.outputs[i];
    if (!p || !q) {
      if (p !== q) return false;
      continue;
    }
    if (p.dtype !== q.dtype || p.requiresGrad !== q.requiresGrad || p.kind !== q.kind || p.a !== q.a || p.b !== q.b || !sameShape(p.shape, q.shape)) return false;
  }
  return true;
}

/** Whether one of the rank's communication streams is busy after `us`. */
function streamBusyAfter(ctx: RankContext, us: number): boolean {
  for (const t of ctx.commFreeUs.values()) if (t > us + 1e-6) return true;
  return false;
}

/** Start recording a stretch of `ctx`'s program (meta mode). */
export function beginSegment(ctx: RankContext, frame: IndexFrame): SegmentRecorder {
  const rec = new SegmentRecorder(ctx, frame);
  ctx.segment = rec;
  ctx.memory.recorder = rec;
  return rec;
}

/** Stop recording; the segment, or null if it cannot be replayed. */
export function endSegment(ctx: RankContext, rec: SegmentRecorder, outputs: readonly (Tensor | null | undefined)[]): Segment | null {
  ctx.segment = null;
  ctx.memory.recorder = null;
  return rec.finish(outputs);
}

/** Stop recording after a failure. */
export function dropSegment(ctx: RankContext): void {
  ctx.segment = null;
  ctx.memory.recorder = null;
}

/**
 * Replay a steady segment on `ctx` at its current clock, addressing memory through `frame` (the
 * same kind of frame the segment was recorded with). Returns the output tensors (shapes only)
 * and the memory range this replay allocated.
 */
export function replaySegment(ctx: RankContext, seg: Segment, frame: IndexFrame): { outputs: (Tensor | null)[]; range: IndexRange } {
  ctx.checkAlive();
  const mem = ctx.memory;
  const base = mem.size;
  const resolve = (kind: number, a: number, b: number): number =>
    kind === OWN ? base + a : kind === RANGE ? frame.ranges[a].base + b : kind === SINGLE ? frame.singles[a] : kind === ABSOLUTE ? a : -1;
  const m = seg.mem;
  for (let i = 0; i < m.length; ) {
    const code = m[i];
    if (code === TICK) {
      mem.tick();
      i += 1;
    } else if (code === ALLOC) {
      mem.alloc(m[i + 1], m[i + 2] === 1);
      i += 3;
    } else {
      const index = resolve(m[i + 1], m[i + 2], m[i + 3]);
      if (code === USE) mem.use(index);
      else if (code === PIN) mem.pin(index);
      else mem.release(index);
      i += 4;
    }
  }
  const shift = ctx.clock - seg.clock0;
  const seqs = new Map<number, number>();
  const w = ctx.world;
  const tag = ctx.tag;
  for (const it of seg.items) {
    if ('ledger' in it) seqs.set(it.ledger.seq, ctx.comm.reissue(it.ledger, shift));
    else {
      const e = it.trace;
      w.pushTrace({
        rank: e.rank,
        kind: e.kind,
        name: e.name,
        phase: e.phase,
        startUs: e.startUs + shift,
        endUs: e.endUs + shift,
        inShapes: e.inShapes,
        outShape: e.outShape,
        flops: e.flops,
        ledgerSeq: e.ledgerSeq === undefined || e.ledgerSeq < 0 ? e.ledgerSeq : seqs.get(e.ledgerSeq),
        source: e.source,
        module: e.module,
        tag: onStream(e) ? `${tag ?? ''}${STREAM_TAG}` : tag, // what ran on a communication stream stays there (not busy)
      });
    }
  }
  ctx.clock += seg.duration;
  w.computeFlops[ctx.rank] += seg.flops;
  const outputs = seg.outputs.map((o) => {
    if (!o) return null;
    const t = new Tensor(ctx, o.shape, o.dtype, null, o.requiresGrad);
    t.memIndex = resolve(o.kind, o.a, o.b);
    return t;
  });
  return { outputs, range: { base, count: mem.size - base } };
}
