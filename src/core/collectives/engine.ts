import type * as tf from '@tensorflow/tfjs-core';
import { collectiveTimeUs, groupLinkClass, linkBetween, p2pTimeUs } from '../cost/index.js';
import { DTYPE_BYTES, bytesOf, numel, type DType } from '../dtype.js';
import { SimError, type RankSite } from '../errors.js';
import type { LedgerEntry, Phase } from '../ledger.js';
import type { ProcessGroup } from '../mesh.js';
import type { SourceLocation } from '../source.js';
import { trafficOf } from '../traffic.js';
import type { RankContext } from '../context.js';
import type { World } from '../world.js';
import { combine, ncclElements, outputShape } from './combine.js';
import { Scheduler, compact } from './scheduler.js';
import { describeSig, sigMismatch, type CallSig } from './signature.js';

/** What a member gets back from a collective. */
export interface Delivery {
  readonly data: tf.Tensor | null;
  readonly shape: readonly number[];
  readonly dtype: DType;
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
  readonly arrivals: (Arrival | undefined)[];
  count: number;
  readonly k: number;
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
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly clock: number;
  readonly phase: Phase;
  readonly source?: SourceLocation;
  resolve(d: Delivery): void;
  reject(e: Error): void;
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
  private readonly rounds = new Map<string, Round>();
  private readonly counters = new Map<string, number[]>();
  private readonly sends = new Map<string, SendPost[]>();
  private readonly recvs = new Map<string, RecvPost[]>();
  private seq = 0;

  constructor(world: World) {
    this.world = world;
    this.scheduler = new Scheduler(world);
  }

  // ------------------------------------------------------------------ collectives

  collective(ctx: RankContext, group: ProcessGroup, sig: CallSig, data: tf.Tensor | null, source: SourceLocation | undefined, label?: string): Promise<Delivery> {
    ctx.checkAlive();
    const idx = group.ranks.indexOf(ctx.rank);
    if (idx < 0) {
      throw new SimError('collective-mismatch', `rank ${ctx.rank} called ${sig.op} on group ${group.id}, which it is not a member of`, {
        ranks: [{ rank: ctx.rank, source, detail: describeSig(sig) }],
        fix: `call it with a group that contains rank ${ctx.rank} (e.g. { axis: "tp" } for this rank's own tensor-parallel group)`,
      });
    }
    if (sig.root !== undefined && !group.ranks.includes(sig.root)) {
      throw new SimError('collective-mismatch', `${sig.op} root ${sig.root} is not in group ${group.id}`, {
        ranks: [{ rank: ctx.rank, source, detail: describeSig(sig) }],
        fix: `pick a root among ranks ${compact(group.ranks)} (roots are global ranks, as in torch.distributed)`,
      });
    }
    let counter = this.counters.get(group.id);
    if (!counter) {
      counter = new Array<number>(group.ranks.length).fill(0);
      this.counters.set(group.id, counter);
    }
    const k = counter[idx]++;
    // A member blocks in its call k until round k completes, so a group has at most one open round.
    let round = this.rounds.get(group.id);
    if (!round) {
      round = { group, arrivals: new Array(group.ranks.length), count: 0, k };
      this.rounds.set(group.id, round);
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
      if (open.count === group.ranks.length) {
        this.rounds.delete(group.id);
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

  private complete(round: Round): void {
    const w = this.world;
    const arr = round.arrivals as Arrival[];
    const sig = arr[0].sig;
    const n = arr.length;
    const ranks = round.group.ranks;
    const rootIdx = sig.root === undefined ? 0 : ranks.indexOf(sig.root);
    const outShape = outputShape(sig, n);
    let outs: tf.Tensor[] | null = null;
    if (w.mode === 'numeric' && sig.op !== 'barrier') {
      try {
        outs = combine(sig, arr.map((a) => a.data!), rootIdx);
      } catch (e) {
        const err = new SimError('collective-mismatch', `${sig.op} failed: ${(e as Error).message}`, { ranks: arr.map((a) => ({ rank: a.ctx.rank, source: a.source, detail: describeSig(a.sig) })) });
        this.scheduler.abort(err);
        for (const a of arr) a.reject(err);
        return;
      }
    }
    const elements = ncclElements(sig, n);
    const algorithm = w.algorithmFor(sig.op);
    const traffic = trafficOf(sig.op, algorithm, n, elements, DTYPE_BYTES[sig.dtype], rootIdx);
    const bytes = bytesOf(elements, sig.dtype);
    const cost = collectiveTimeUs({ op: sig.op, algorithm: traffic.algorithm, ranks, bytes, hw: w.hardware, gpusPerNode: w.gpusPerNode });
    let start = 0;
    for (const a of arr) if (a.clock > start) start = a.clock;
    const end = start + cost.timeUs;
    const seq = this.seq++;
    const entry: LedgerEntry = {
      seq,
      op: sig.op,
      reduceOp: sig.reduceOp,
      axis: round.group.axis,
      group: round.group.id,
      ranks,
      phase: arr[0].phase,
      dtype: sig.dtype,
      shape: sig.shape,
      elements,
      bytes,
      algorithm: traffic.algorithm,
      sentBytes: traffic.sent,
      recvBytes: traffic.recv,
      sentBytesPerRank: Math.max(0, ...traffic.sent),
      wireBytes: traffic.sent.reduce((p, x) => p + x, 0),
      steps: traffic.steps,
      link: cost.link,
      startUs: start,
      timeUs: cost.timeUs,
      source: arr[0].source,
      label: arr[0].label,
      module: arr[0].module || undefined,
    };
    w.pushLedger(entry);
    for (let i = 0; i < n; i++) {
      const a = arr[i];
      this.timeline(a.ctx, a.clock, start, end, sig.op, a.phase, seq, a.source, [sig.shape], outShape);
      this.scheduler.unblock(a.ctx.rank);
      a.resolve({ data: outs ? outs[i] : null, shape: outShape, dtype: sig.dtype, ledgerSeq: seq });
    }
  }

  private timeline(ctx: RankContext, arrived: number, start: number, end: number, name: string, phase: Phase, seq: number, source: SourceLocation | undefined, inShapes: (readonly number[])[], outShape: readonly number[]): void {
    if (start > arrived) ctx.record({ rank: ctx.rank, kind: 'wait', name: `wait ${name}`, phase, startUs: arrived, endUs: start, ledgerSeq: seq, source, tag: ctx.tag, module: ctx.module });
    ctx.record({ rank: ctx.rank, kind: 'comm', name, phase, startUs: start, endUs: end, ledgerSeq: seq, source, inShapes, outShape, tag: ctx.tag, module: ctx.module });
    if (end > ctx.clock) ctx.clock = end;
  }

  // ------------------------------------------------------------------ point to point

  /**
   * Post a send. Blocking sends wait for the matching recv (rendezvous, as NCCL/gloo sends of
   * large messages do); non-blocking ones return a handle whose wait() does.
   */
  send(ctx: RankContext, dst: number, tag: number, t: { data: tf.Tensor | null; shape: readonly number[]; dtype: DType }, source: SourceLocation | undefined): SendPost {
    ctx.checkAlive();
    this.checkPeer(ctx, dst, 'send to', source);
    const post: SendPost = { ctx, dst, tag, data: t.data, shape: t.shape, dtype: t.dtype, clock: ctx.clock, phase: ctx.phase, source, module: ctx.module };
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

  recv(ctx: RankContext, src: number, tag: number, shape: readonly number[], dtype: DType, source: SourceLocation | undefined): Promise<Delivery> {
    ctx.checkAlive();
    this.checkPeer(ctx, src, 'receive from', source);
    return new Promise<Delivery>((resolve, reject) => {
      const post: RecvPost = { ctx, src, tag, shape, dtype, clock: ctx.clock, phase: ctx.phase, source, resolve, reject };
      const key = chan(src, ctx.rank, tag);
      const pending = this.sends.get(key);
      if (pending && pending.length) {
        this.match(pending.shift()!, post);
        return;
      }
      push(this.recvs, key, post);
      this.scheduler.block(ctx.rank, { what: () => `recv [${shape.join(', ')}] ${dtype} from rank ${src} (tag ${tag})`, source }, reject);
    });
  }

  private match(s: SendPost, r: RecvPost): void {
    const w = this.world;
    if (s.dtype !== r.dtype || s.shape.length !== r.shape.length || s.shape.some((d, i) => d !== r.shape[i])) {
      const err = new SimError('p2p-mismatch', `rank ${s.ctx.rank} sends [${s.shape.join(', ')}] ${s.dtype} but rank ${r.ctx.rank} receives into [${r.shape.join(', ')}] ${r.dtype} (tag ${s.tag})`, {
        ranks: [
          { rank: s.ctx.rank, source: s.source, detail: `send [${s.shape.join(', ')}] ${s.dtype} to rank ${r.ctx.rank}` },
          { rank: r.ctx.rank, source: r.source, detail: `recv [${r.shape.join(', ')}] ${r.dtype} from rank ${s.ctx.rank}` },
        ],
        fix: 'the recv buffer must have the shape and dtype of what the peer sends (for pipeline stages: the activation shape of the micro-batch)',
      });
      this.scheduler.abort(err);
      r.reject(err);
      return;
    }
    const elements = numel(s.shape);
    const bytes = bytesOf(elements, s.dtype);
    const link = linkBetween(s.ctx.rank, r.ctx.rank, w.gpusPerNode);
    const time = p2pTimeUs(bytes, w.hardware, link);
    const start = Math.max(s.clock, r.clock);
    const end = start + time;
    const seq = this.seq++;
    const ranks = [s.ctx.rank, r.ctx.rank];
    const traffic = trafficOf('send_recv', 'direct', 2, elements, DTYPE_BYTES[s.dtype]);
    w.pushLedger({
      seq,
      op: 'send_recv',
      axis: this.p2pAxis(s.ctx.rank, r.ctx.rank),
      group: `p2p[${s.ctx.rank}->${r.ctx.rank}]`,
      ranks,
      phase: s.phase,
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
      startUs: start,
      timeUs: time,
      source: s.source,
      tag: s.tag,
      module: s.module || undefined,
    });
    s.doneAt = end;
    s.seq = seq;
    // receiver
    this.timeline(r.ctx, r.clock, start, end, 'recv', r.phase, seq, r.source, [s.shape], s.shape);
    this.scheduler.unblock(r.ctx.rank);
    r.resolve({ data: s.data ? cloneOf(s.data) : null, shape: s.shape, dtype: s.dtype, ledgerSeq: seq });
    // sender: its comm event; a blocked waiter resumes at the completion time
    s.ctx.record({ rank: s.ctx.rank, kind: 'comm', name: 'send', phase: s.phase, startUs: start, endUs: end, ledgerSeq: seq, source: s.source, inShapes: [s.shape], tag: s.ctx.tag });
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
      ctx.record({ rank: ctx.rank, kind: 'wait', name: 'wait send', phase: ctx.phase, startUs: Math.max(since, ctx.clock), endUs: end, ledgerSeq: s.seq, source: s.source, tag: ctx.tag });
      ctx.clock = end;
    }
  }

  private checkPeer(ctx: RankContext, peer: number, verb: string, source: SourceLocation | undefined): void {
    const n = this.world.mesh.worldSize;
    if (!Number.isInteger(peer) || peer < 0 || peer >= n || peer === ctx.rank) {
      throw new SimError('p2p-mismatch', `rank ${ctx.rank} tries to ${verb} rank ${peer}, ${peer === ctx.rank ? 'itself' : `but the world has ranks 0..${n - 1}`}`, {
        ranks: [{ rank: ctx.rank, source, detail: `${verb} ${peer}` }],
        fix: 'address peers by global rank; for pipeline stages use the pp-axis neighbour (e.g. rank.peer("pp", +1)), not the stage number',
      });
    }
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

function chan(src: number, dst: number, tag: number): string {
  return `${src}>${dst}#${tag}`;
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function cloneOf(t: tf.Tensor): tf.Tensor {
  return t.clone();
}
