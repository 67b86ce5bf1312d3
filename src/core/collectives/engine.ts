import type * as tf from '@tensorflow/tfjs-core';
import { linkBetween, p2pTimeUs } from '../cost/index.js';
import { DTYPE_BYTES, bytesOf, numel, type DType } from '../dtype.js';
import { SimError, type RankSite } from '../errors.js';
import type { LedgerEntry, Phase } from '../ledger.js';
import type { LedgerKind } from '../ledger-log.js';
import type { ProcessGroup } from '../mesh.js';
import type { SourceLocation } from '../source.js';
import { trafficOf } from '../traffic.js';
import { traceEvent } from '../trace.js';
import type { RankContext } from '../context.js';
import type { World } from '../world.js';
import { CallKinds, type CallKind } from './call-kind.js';
import { combine } from './combine.js';
import { Scheduler, compact } from './scheduler.js';
import { describeSig, sigMismatch, type CallSig } from './signature.js';

/** What a member gets back from a collective. */
export interface Delivery {
  readonly data: tf.Tensor | null;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /**
   * The ledger entry, in numeric mode (where equal deliveries share a content id); −1 where the
   * delivery is not the entry's own (a folded peer's message, a meta call's shape-only answer).
   */
  readonly ledgerSeq: number;
}

interface Arrival {
  readonly ctx: RankContext;
  readonly sig: CallSig;
  readonly data: tf.Tensor | null;
  readonly source?: SourceLocation;
  readonly clock: number;
  readonly phase: Phase;
  readonly label?: string;
  readonly module?: string;
  resolve(d: Delivery): void;
  reject(e: Error): void;
}

interface Round {
  readonly group: ProcessGroup;
  readonly state: GroupState;
  readonly arrivals: (Arrival | undefined)[];
  count: number;
  readonly k: number;
  /** Members that run (all of them, unless the world is folded). */
  readonly live: number;
}

/** What the engine keeps per group (by id). */
interface GroupState {
  /** Calls made so far by each member (in group order). */
  readonly counter: number[];
  /** The open round, if some members wait in it (a group has at most one). */
  round: Round | undefined;
  /** Members that run (all of them, unless the world is folded). */
  readonly live: number;
  /** The group's recent kinds of call (see call-kind.ts). */
  readonly kinds: CallKind[];
  /** Each member's position in the group, by global rank (a lookup in the frozen rank list is a slow call). */
  readonly index: Map<number, number>;
  /** The last rank looked up and its position (−1: not a member): a folded group has one caller. */
  lastRank: number;
  lastIdx: number;
}

interface SendPost {
  readonly ctx: RankContext;
  readonly dst: number;
  readonly tag: number;
  readonly data: tf.Tensor | null;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly clock: number;
  readonly phase: Phase;
  readonly source?: SourceLocation;
  readonly module?: string;
  /** The sender's trace tag when it posted (its micro-batch), not when the send completes. */
  readonly traceTag?: string;
  /** Set once matched: simulated completion time and ledger seq. */
  doneAt?: number;
  seq?: number;
  /** A blocked waiter (blocking send, or Work.wait()). */
  waiter?: { resolve(): void; reject(e: Error): void; since: number };
}

interface RecvPost {
  readonly ctx: RankContext;
  readonly src: number;
  readonly tag: number;
  /** null: take the sender's shape and dtype (the pipeline runtime's receives). */
  readonly shape: readonly number[] | null;
  readonly dtype: DType;
  readonly clock: number;
  readonly phase: Phase;
  readonly source?: SourceLocation;
  resolve(d: Delivery): void;
  reject(e: Error): void;
  /**
   * A posted receive (irecv): the rank runs on until it waits, so a match neither moves its clock
   * nor unblocks it; `doneAt` is when the message has arrived.
   */
  readonly posted?: boolean;
  doneAt?: number;
  /** The rank's micro-batch tag when it posted. */
  readonly traceTag?: string;
}

/**
 * The one door between ranks. Every collective and every send/recv of the run comes through
 * here; each is checked (every member passed the same thing), executed (numeric) or shaped
 * (meta), timed on the simulated clocks, and written to the ledger and the trace.
 *
 * Collectives are matched per group by call order (the k-th call of each member forms round k),
 * as NCCL does; point-to-point messages are matched FIFO per (src, dst, tag).
 */
export class CollectiveEngine {
  readonly scheduler: Scheduler;
  private readonly world: World;
  private readonly kinds: CallKinds;
  private readonly groups = new Map<string, GroupState>();
  /** The last group asked for and its state: a loop of calls on one group skips the lookup. */
  private lastGroup: ProcessGroup | null = null;
  private lastState: GroupState | null = null;
  private readonly sends = new Map<string, SendPost[]>();
  private readonly recvs = new Map<string, RecvPost[]>();

  constructor(world: World) {
    this.world = world;
    this.kinds = new CallKinds(world);
    this.scheduler = new Scheduler(world);
  }

  // ------------------------------------------------------------------ collectives

  collective(ctx: RankContext, group: ProcessGroup, sig: CallSig, data: tf.Tensor | null, source: SourceLocation | undefined, label?: string): Promise<Delivery> | Delivery {
    // (the hot path of a meta run: what is rare — errors, a group's first call — lives in
    // functions of its own, so that V8 inlines this one and what it calls)
    ctx.checkAlive();
    if (source) ctx.lastSource = source;
    const state = this.stateOf(group);
    const idx = ctx.rank === state.lastRank ? state.lastIdx : this.memberIndex(state, ctx.rank);
    if (idx < 0) throw notMember(ctx, group, sig, source);
    if (sig.root !== undefined && !group.ranks.includes(sig.root)) throw rootNotInGroup(ctx, group, sig, source);
    const k = state.counter[idx]++;
    // A member blocks in its call k until round k completes, so a group has at most one open round.
    if (!state.round && state.live === 1) {
      // Folded world, the only live member: the round completes now (no round bookkeeping).
      if (this.world.mode === 'meta') return this.completeSolo(ctx, this.kinds.of(state.kinds, group, sig), source, label);
      return this.completeAlone(ctx, group, state, k, sig, data, source, label);
    }
    return this.arrive(ctx, group, state, idx, k, sig, data, source, label);
  }

  /** A numeric call of the one live member of a group: a round of one. */
  private completeAlone(ctx: RankContext, group: ProcessGroup, state: GroupState, k: number, sig: CallSig, data: tf.Tensor | null, source: SourceLocation | undefined, label: string | undefined): Promise<Delivery> {
    let delivered: Delivery | undefined;
    const solo: Arrival = { ctx, sig, data, source, clock: ctx.clock, phase: ctx.phase, label, module: ctx.module, resolve: (d) => (delivered = d), reject: () => undefined };
    this.complete({ group, state, arrivals: [solo], count: 1, k, live: 1 });
    return Promise.resolve(delivered!);
  }

  /** Member `idx` arrives at its call k on the group: it waits until every live member has. */
  private arrive(ctx: RankContext, group: ProcessGroup, state: GroupState, idx: number, k: number, sig: CallSig, data: tf.Tensor | null, source: SourceLocation | undefined, label: string | undefined): Promise<Delivery> {
    let round = state.round;
    if (!round) {
      round = { group, state, arrivals: new Array(group.ranks.length), count: 0, k, live: state.live };
      state.round = round;
    }
    const open = round;
    return new Promise<Delivery>((resolve, reject) => {
      const a: Arrival = { ctx, sig, data, source, clock: ctx.clock, phase: ctx.phase, label, module: ctx.module, resolve, reject };
      open.arrivals[idx] = a;
      open.count++;
      const first = open.arrivals.find((x) => x && x !== a);
      const why = first ? sigMismatch(first.sig, sig) : null;
      if (why) {
        const err = this.mismatchError(open, why, k);
        this.scheduler.abort(err);
        reject(err);
        return;
      }
      if (open.count === open.live) {
        state.round = undefined;
        this.complete(open);
        return;
      }
      this.scheduler.block(ctx.rank, { what: () => `${describeSig(sig)} on ${group.id} (call #${k + 1} on that group)`, source }, reject);
    });
  }

  private mismatchError(round: Round, why: string, k: number): SimError {
    const sites: RankSite[] = [];
    round.group.ranks.forEach((r, i) => {
      const a = round.arrivals[i];
      sites.push(a ? { rank: r, source: a.source, detail: `passed ${describeSig(a.sig)}` } : { rank: r, detail: 'has not reached this call yet' });
    });
    const op = round.arrivals.find((x) => x)!.sig.op;
    return new SimError('collective-mismatch', `${why} in call #${k + 1} on group ${round.group.id} (${op})`, {
      ranks: sites,
      fix:
        why === 'different collectives'
          ? 'every member must issue the same collectives in the same order (in NCCL this hangs or corrupts data)'
          : 'every member of a collective must pass the same shape, dtype, op, dim and root',
    });
  }

  /** The state of `group` (made on its first call), remembered as the last group asked for. */
  private stateOf(group: ProcessGroup): GroupState {
    if (group === this.lastGroup) return this.lastState!;
    let st = this.groups.get(group.id);
    if (!st) {
      st = { counter: new Array<number>(group.ranks.length).fill(0), round: undefined, live: this.liveCount(group), kinds: [], index: new Map(group.ranks.map((r, i) => [r, i])), lastRank: -1, lastIdx: -1 };
      this.groups.set(group.id, st);
    }
    this.lastGroup = group;
    this.lastState = st;
    return st;
  }

  /** Position of `rank` in the state's group (−1: not a member). */
  private memberIndex(state: GroupState, rank: number): number {
    state.lastRank = rank;
    return (state.lastIdx = state.index.get(rank) ?? -1);
  }

  private liveCount(group: ProcessGroup): number {
    const f = this.world.fold;
    if (!f.active) return group.ranks.length;
    let n = 0;
    for (const r of group.ranks) if (f.isRep(r)) n++;
    return n;
  }

  private complete(round: Round): void {
    const w = this.world;
    const arr = round.count === round.arrivals.length ? (round.arrivals as Arrival[]) : round.arrivals.filter((a): a is Arrival => a !== undefined);
    const sig = arr[0].sig;
    const ranks = round.group.ranks;
    const kind = this.kinds.of(round.state.kinds, round.group, sig);
    let outs: tf.Tensor[] | null = null;
    if (w.mode === 'numeric' && sig.op !== 'barrier') {
      try {
        outs = combine(sig, arr.map((a) => a.data!), kind.rootIdx);
      } catch (e) {
        const err = new SimError('collective-mismatch', `${sig.op} failed: ${(e as Error).message}`, { ranks: arr.map((a) => ({ rank: a.ctx.rank, source: a.source, detail: describeSig(a.sig) })) });
        this.scheduler.abort(err);
        for (const a of arr) a.reject(err);
        return;
      }
    }
    let start = 0;
    for (const a of arr) if (a.clock > start) start = a.clock;
    const end = start + kind.timeUs;
    const first = arr[0];
    const seq = w.pushLedger(kind, start, first.phase, first.source, first.label, first.module);
    if (arr.length === 1) first.ctx.segment?.ledger(w.ledger.at(seq));
    else for (const a of arr) if (a.ctx.segment) a.ctx.segment.dirty ??= `${sig.op} with another live rank`;
    for (let j = 0; j < arr.length; j++) {
      const a = arr[j];
      const ctx = a.ctx;
      if (a.phase === first.phase && a.source === first.source && ctx.module === first.module) {
        // the usual case (SPMD): the member's comm event is the entry's, kept compact
        if (start > a.clock + 1e-6) this.waited(ctx, a.clock, start, sig.op, a.phase, seq, a.source);
        ctx.recordComm(seq);
        if (end > ctx.clock) ctx.clock = end;
      } else this.timeline(ctx, a.clock, start, end, sig.op, a.phase, seq, a.source, kind.inShapes, kind.outShape);
      this.scheduler.unblock(a.ctx.rank);
      a.resolve(outs ? { data: outs[ranks.indexOf(a.ctx.rank)], shape: kind.outShape, dtype: sig.dtype, ledgerSeq: seq } : kind.metaDelivery);
    }
  }

  /**
   * `complete` for the one live member of a group in meta mode (a folded world): no values, no
   * other arrivals, no one to wake — the same ledger entry and comm event, without the round,
   * recorded by reference to the call's kind.
   */
  private completeSolo(ctx: RankContext, kind: CallKind, source: SourceLocation | undefined, label: string | undefined): Delivery {
    const w = this.world;
    const start = ctx.clock;
    const end = start + kind.timeUs;
    const seq = w.pushLedger(kind, start, ctx.phase, source, label, ctx.module);
    if (ctx.segment) ctx.segment.ledger(w.ledger.at(seq));
    ctx.recordComm(seq);
    if (end > ctx.clock) ctx.clock = end;
    return kind.metaDelivery;
  }

  /**
   * A replayed stretch (segment.ts) issues again a collective it recorded: the same entry with a
   * fresh sequence number, `shift` µs later. Only for collectives this rank completed alone.
   */
  reissue(ctx: RankContext, e: LedgerEntry, shift: number): number {
    const st = this.groups.get(e.group);
    if (st) st.counter[e.ranks.indexOf(ctx.rank)]++;
    return this.world.pushLedger(e, e.startUs + shift, e.phase, e.source, e.label, e.module);
  }

  private timeline(ctx: RankContext, arrived: number, start: number, end: number, name: string, phase: Phase, seq: number, source: SourceLocation | undefined, inShapes: readonly (readonly number[])[], outShape: readonly number[]): void {
    if (start > arrived + 1e-6) this.waited(ctx, arrived, start, name, phase, seq, source);
    ctx.record(traceEvent({ rank: ctx.rank, kind: 'comm', name, phase, startUs: start, endUs: end, ledgerSeq: seq, source, inShapes, outShape, tag: ctx.tag, module: ctx.module }));
    if (end > ctx.clock) ctx.clock = end;
  }

  /** The wait of a rank that arrived before its peers (one shorter than a picosecond is float rounding of equal clocks). */
  private waited(ctx: RankContext, arrived: number, start: number, name: string, phase: Phase, seq: number, source: SourceLocation | undefined): void {
    ctx.record(traceEvent({ rank: ctx.rank, kind: 'wait', name: `wait ${name}`, phase, startUs: arrived, endUs: start, ledgerSeq: seq, source, tag: ctx.tag, module: ctx.module }));
  }

  // ------------------------------------------------------------------ point to point

  /**
   * Post a send. Blocking sends wait for the matching recv (rendezvous, as NCCL/gloo sends of
   * large messages do); non-blocking ones return a handle whose wait() does.
   */
  send(ctx: RankContext, dst: number, tag: number, t: { data: tf.Tensor | null; shape: readonly number[]; dtype: DType }, source: SourceLocation | undefined): SendPost {
    ctx.checkAlive();
    if (source) ctx.lastSource = source;
    if (ctx.segment) ctx.segment.dirty ??= 'it sends to another rank';
    this.checkPeer(ctx, dst, 'send to', source);
    const post: SendPost = { ctx, dst, tag, data: t.data, shape: t.shape, dtype: t.dtype, clock: ctx.clock, phase: ctx.phase, source, module: ctx.module, traceTag: ctx.tag };
    if (this.world.fold.active && !this.world.fold.isRep(dst)) {
      // A mirror receives it as its representative would: delivered at once.
      this.match(post, { ctx: null as unknown as RankContext, src: ctx.rank, tag, shape: t.shape, dtype: t.dtype, clock: ctx.clock, phase: ctx.phase, source, resolve: () => undefined, reject: () => undefined }, dst);
      return post;
    }
    const key = chan(ctx.rank, dst, tag);
    const waiting = this.recvs.get(key);
    if (waiting && waiting.length) this.match(post, waiting.shift()!);
    else push(this.sends, key, post);
    return post;
  }

  /** Wait until a posted send is received. */
  waitSend(post: SendPost): Promise<void> {
    const ctx = post.ctx;
    if (post.doneAt !== undefined) {
      this.settleSender(post, ctx.clock);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      post.waiter = { resolve, reject, since: ctx.clock };
      this.scheduler.block(ctx.rank, { what: () => `send [${post.shape.join(', ')}] ${post.dtype} to rank ${post.dst} (tag ${post.tag}), waiting for its recv`, source: post.source }, reject);
    });
  }

  recv(ctx: RankContext, src: number, tag: number, shape: readonly number[] | null, dtype: DType, source: SourceLocation | undefined): Promise<Delivery> {
    ctx.checkAlive();
    if (source) ctx.lastSource = source;
    if (ctx.segment) ctx.segment.dirty ??= 'it receives from another rank';
    this.checkPeer(ctx, src, 'receive from', source);
    if (this.world.fold.active && !this.world.fold.isRep(src)) {
      // The mirror's send is the symmetric image of a representative's, already on the ledger.
      if (!shape) throw new SimError('p2p-mismatch', `rank ${ctx.rank} receives from folded rank ${src} without a buffer shape`, { fix: 'give recv the shape it expects' });
      const start = ctx.clock;
      const end = start + p2pTimeUs(bytesOf(numel(shape), dtype), this.world.hardware, linkBetween(src, ctx.rank, this.world.gpusPerNode));
      this.timeline(ctx, start, start, end, 'recv', ctx.phase, -1, source, [shape], shape);
      return Promise.resolve({ data: null, shape, dtype, ledgerSeq: -1 });
    }
    return new Promise<Delivery>((resolve, reject) => {
      const post: RecvPost = { ctx, src, tag, shape, dtype, clock: ctx.clock, phase: ctx.phase, source, resolve, reject };
      const key = chan(src, ctx.rank, tag);
      const pending = this.sends.get(key);
      if (pending && pending.length) {
        this.match(pending.shift()!, post);
        return;
      }
      push(this.recvs, key, post);
      this.scheduler.block(ctx.rank, { what: () => `recv ${shape ? `[${shape.join(', ')}] ${dtype}` : 'an activation'} from rank ${src} (tag ${tag})`, source }, reject);
    });
  }

  /**
   * Post a receive without blocking (torch's irecv): it matches the send when that comes; `wait()`
   * blocks the rank until the message has arrived (at once if it already has) and returns it.
   */
  irecv(ctx: RankContext, src: number, tag: number, shape: readonly number[], dtype: DType, source: SourceLocation | undefined): { wait(): Promise<Delivery> } {
    ctx.checkAlive();
    if (source) ctx.lastSource = source;
    if (ctx.segment) ctx.segment.dirty ??= 'it receives from another rank';
    this.checkPeer(ctx, src, 'receive from', source);
    if (this.world.fold.active && !this.world.fold.isRep(src)) return { wait: () => this.recv(ctx, src, tag, shape, dtype, source) };
    let delivered: Delivery | undefined;
    let waiter: { resolve(d: Delivery): void; reject(e: Error): void; since: number } | undefined;
    const settle = (since: number) => {
      const end = post.doneAt!;
      if (end > ctx.clock) {
        ctx.record(traceEvent({ rank: ctx.rank, kind: 'wait', name: 'wait recv', phase: ctx.phase, startUs: Math.max(since, ctx.clock), endUs: end, ledgerSeq: delivered?.ledgerSeq, source, tag: ctx.tag }));
        ctx.clock = end;
      }
    };
    const post: RecvPost = {
      ctx, src, tag, shape, dtype, clock: ctx.clock, phase: ctx.phase, source, posted: true, traceTag: ctx.tag,
      resolve: (d) => {
        delivered = d;
        if (!waiter) return;
        const w = waiter;
        waiter = undefined;
        settle(w.since);
        this.scheduler.unblock(ctx.rank);
        w.resolve(d);
      },
      reject: (e) => (waiter ? waiter.reject(e) : undefined),
    };
    const key = chan(src, ctx.rank, tag);
    const pending = this.sends.get(key);
    if (pending && pending.length) this.match(pending.shift()!, post);
    else push(this.recvs, key, post);
    return {
      wait: () => {
        if (delivered) {
          settle(ctx.clock);
          return Promise.resolve(delivered);
        }
        return new Promise<Delivery>((resolve, reject) => {
          waiter = { resolve, reject, since: ctx.clock };
          this.scheduler.block(ctx.rank, { what: () => `wait of an irecv [${shape.join(', ')}] ${dtype} from rank ${src} (tag ${tag})`, source }, reject);
        });
      },
    };
  }

  private match(s: SendPost, r: RecvPost, virtualDst?: number): void {
    const w = this.world;
    const dstRank = virtualDst ?? r.ctx.rank;
    const rs = r.shape;
    if (rs && (s.dtype !== r.dtype || s.shape.length !== rs.length || s.shape.some((d, i) => d !== rs[i]))) {
      const err = new SimError('p2p-mismatch', `rank ${s.ctx.rank} sends [${s.shape.join(', ')}] ${s.dtype} but rank ${r.ctx.rank} receives into [${rs.join(', ')}] ${r.dtype} (tag ${s.tag})`, {
        ranks: [
          { rank: s.ctx.rank, source: s.source, detail: `send [${s.shape.join(', ')}] ${s.dtype} to rank ${r.ctx.rank}` },
          { rank: r.ctx.rank, source: r.source, detail: `recv [${rs.join(', ')}] ${r.dtype} from rank ${s.ctx.rank}` },
        ],
        fix: 'the recv buffer must have the shape and dtype of what the peer sends (for pipeline stages: the activation shape of the micro-batch)',
      });
      this.scheduler.abort(err);
      r.reject(err);
      return;
    }
    const elements = numel(s.shape);
    const bytes = bytesOf(elements, s.dtype);
    const link = linkBetween(s.ctx.rank, dstRank, w.gpusPerNode);
    const time = p2pTimeUs(bytes, w.hardware, link);
    const start = Math.max(s.clock, r.clock);
    const end = start + time;
    const ranks = [s.ctx.rank, dstRank];
    const traffic = trafficOf('send_recv', 'direct', 2, elements, DTYPE_BYTES[s.dtype]);
    const kind: LedgerKind = {
      op: 'send_recv',
      axis: this.p2pAxis(s.ctx.rank, dstRank),
      group: `p2p[${s.ctx.rank}->${dstRank}]`,
      ranks,
      dtype: s.dtype,
      shape: s.shape,
      elements,
      bytes,
      algorithm: 'direct',
      sentBytes: traffic.sent,
      recvBytes: traffic.recv,
      sentBytesPerRank: bytes,
      wireBytes: bytes,
      steps: 1,
      link,
      timeUs: time,
      tag: s.tag,
      multiplicity: w.fold.active ? this.p2pMultiplicity() : 1,
    };
    const seq = w.pushLedger(kind, start, s.phase, s.source, undefined, s.module);
    s.doneAt = end;
    s.seq = seq;
    // receiver
    if (virtualDst === undefined && r.posted) {
      // an irecv: the message lands while the rank runs on; its wait() settles the clock
      r.doneAt = end;
      w.pushTrace(traceEvent({ rank: r.ctx.rank, kind: 'comm', name: 'recv', phase: r.phase, startUs: start, endUs: end, ledgerSeq: seq, source: r.source, inShapes: [s.shape], outShape: s.shape, tag: r.traceTag }));
    } else if (virtualDst === undefined) {
      this.timeline(r.ctx, r.clock, start, end, 'recv', r.phase, seq, r.source, [s.shape], s.shape);
      this.scheduler.unblock(r.ctx.rank);
    }
    r.resolve({ data: s.data, shape: s.shape, dtype: s.dtype, ledgerSeq: seq }); // the same immutable tensor: no copy
    // sender: its comm event; a blocked waiter resumes at the completion time
    // (not s.ctx.record: the match may happen while the sender is already further on)
    w.pushTrace(traceEvent({ rank: s.ctx.rank, kind: 'comm', name: 'send', phase: s.phase, startUs: start, endUs: end, ledgerSeq: seq, source: s.source, inShapes: [s.shape], tag: s.traceTag }));
    if (s.waiter) {
      const wt = s.waiter;
      s.waiter = undefined;
      this.settleSender(s, wt.since);
      this.scheduler.unblock(s.ctx.rank);
      wt.resolve();
    }
  }

  private settleSender(s: SendPost, since: number): void {
    const ctx = s.ctx;
    const end = s.doneAt!;
    if (end > ctx.clock) {
      ctx.record(traceEvent({ rank: ctx.rank, kind: 'wait', name: 'wait send', phase: ctx.phase, startUs: Math.max(since, ctx.clock), endUs: end, ledgerSeq: s.seq, source: s.source, tag: ctx.tag }));
      ctx.clock = end;
    }
  }

  private checkPeer(ctx: RankContext, peer: number, verb: string, source: SourceLocation | undefined): void {
    const n = this.world.mesh.worldSize;
    if (peer === ctx.rank) {
      // "rank r: …" (not "rank r tries"), so that several ranks' errors merge into one sentence
      throw new SimError('p2p-mismatch', `rank ${ctx.rank}: a ${verb === 'send to' ? 'send to' : 'receive from'} itself — a rank's own tensor needs no send or recv`, {
        ranks: [{ rank: ctx.rank, source, detail: `${verb} ${peer}` }],
        fix: 'address peers by global rank, not by stage number: the pp-axis neighbour rank.comm.peer("pp", +1) is the next stage\'s rank, rank.comm.peer("tp", +1) the next rank on your tp axis; a rank\'s own tensor needs no send',
      });
    }
    if (!Number.isInteger(peer) || peer < 0 || peer >= n) {
      throw new SimError('p2p-mismatch', `rank ${ctx.rank}: cannot ${verb} rank ${peer}: the world has ranks 0..${n - 1}`, {
        ranks: [{ rank: ctx.rank, source, detail: `${verb} ${peer}` }],
        fix: 'address peers by global rank; for pipeline stages use the pp-axis neighbour (rank.comm.peer("pp", +1) is the rank of the next stage on your pp axis), not the stage number',
      });
    }
  }

  /** Every rank of a representative's class makes the same send. */
  private p2pMultiplicity(): number {
    const m = this.world.mesh;
    return this.world.fold.axes.reduce((p, a) => p * m.size(a), 1);
  }

  /** The mesh axis along which two ranks differ, if exactly one. */
  private p2pAxis(a: number, b: number): string | undefined {
    const m = this.world.mesh;
    const ca = m.coords(a);
    const cb = m.coords(b);
    const diff = m.axes.filter((x) => ca[x] !== cb[x]);
    return diff.length === 1 ? diff[0] : undefined;
  }

  /** Messages sent but never received, for the end-of-run check. */
  unmatched(): SimError | null {
    const sites: RankSite[] = [];
    for (const list of this.sends.values()) {
      for (const s of list) sites.push({ rank: s.ctx.rank, source: s.source, detail: `sent [${s.shape.join(', ')}] ${s.dtype} to rank ${s.dst} (tag ${s.tag}), never received` });
    }
    if (sites.length === 0) return null;
    return new SimError('p2p-mismatch', `${sites.length} message${sites.length > 1 ? 's were' : ' was'} sent but never received`, {
      ranks: sites,
      fix: 'every send needs a recv on the destination rank with the same tag (a pipeline stage that never receives is the usual cause)',
    });
  }
}

function notMember(ctx: RankContext, group: ProcessGroup, sig: CallSig, source: SourceLocation | undefined): SimError {
  return new SimError('collective-mismatch', `rank ${ctx.rank} called ${sig.op} on group ${group.id}, which it is not a member of`, {
    ranks: [{ rank: ctx.rank, source, detail: describeSig(sig) }],
    fix: `call it with a group that contains rank ${ctx.rank} (e.g. { axis: "tp" } for this rank's own tensor-parallel group)`,
  });
}

function rootNotInGroup(ctx: RankContext, group: ProcessGroup, sig: CallSig, source: SourceLocation | undefined): SimError {
  return new SimError('collective-mismatch', `${sig.op} root ${sig.root} is not in group ${group.id}`, {
    ranks: [{ rank: ctx.rank, source, detail: describeSig(sig) }],
    fix: `pick a root among ranks ${compact(group.ranks)} (roots are global ranks, as in torch.distributed)`,
  });
}

function chan(src: number, dst: number, tag: number): string {
  return `${src}>${dst}#${tag}`;
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
