import * as tf from '@tensorflow/tfjs-core';
import { bytesOf, type DType } from '../dtype.js';
import { notATensor, SimError } from '../errors.js';
import type { LedgerEntry, ReduceOp } from '../ledger.js';
import type { ProcessGroup } from '../mesh.js';
import type { SourceLocation } from '../source.js';
import { Tensor, type BackwardFn } from '../tensor.js';
import type { RankContext } from '../context.js';
import { behindWeightGrads } from '../async-grad.js';
import { narrow } from '../ops/shape.js';
import { scale, mul } from '../ops/elementwise.js';
import type { CollectiveEngine, Delivery } from './engine.js';
import { sameShape, type CallSig } from './signature.js';

/** Which group a collective runs on: a mesh axis of this rank, an explicit group, or the world. */
export interface GroupOpt {
  readonly axis?: string;
  readonly group?: ProcessGroup;
  /** A label for the ledger (e.g. "reduce_from_tp_region"). */
  readonly label?: string;
}

const NO_INPUTS: readonly Tensor[] = [];

/** A pending non-blocking send. */
export interface Work {
  wait(): Promise<void>;
}

/**
 * One rank's communication API, with torch.distributed semantics and NCCL matching rules.
 * Roots and peers are global ranks. Every call is checked against the other members' calls and
 * written to the ledger by the engine.
 *
 * Gradients (for tensors that require them) follow Megatron-LM's mappings, where a tensor that is
 * the same on all ranks carries the same gradient on all ranks:
 *   allReduce(sum)   fwd Σ            bwd identity       (Megatron g / reduce_from_region)
 *   allReduce(avg)   fwd mean         bwd dy / n
 *   allReduce(max|min)                bwd dy where x was the extreme
 *   allGather(dim)   fwd concat       bwd own slice      (gather_from_region)
 *   reduceScatter    fwd Σ then split bwd allGather(dy)  (sequence-parallel reduce_scatter)
 *   allToAll         fwd exchange     bwd the inverse exchange
 *   send → recv      bwd recv ← send  (the gradient flows back along the message)
 * broadcast and reduce do not carry gradients. To sum partial gradients of a replicated input
 * (Megatron f / copy_to_region), use `copyToGroup`.
 */
export class Comm {
  private readonly ctx: RankContext;
  private readonly engine: CollectiveEngine;

  constructor(ctx: RankContext, engine: CollectiveEngine) {
    this.ctx = ctx;
    this.engine = engine;
  }

  get rank(): number {
    return this.ctx.rank;
  }

  /** Issue again a collective recorded in a replayed stretch (segment.ts); the new ledger seq. */
  reissue(e: LedgerEntry, shift: number): number {
    return this.engine.reissue(this.ctx, e, shift);
  }

  get worldSize(): number {
    return this.ctx.worldSize;
  }

  private readonly axisGroups = new Map<string, ProcessGroup>();
  /** The last axis asked for and its group: a loop of calls on one axis skips the lookup. */
  private lastAxis: string | undefined;
  private lastAxisGroup: ProcessGroup | undefined;
  /** The last all-reduce's signature (signatures are immutable: equal calls may share one). */
  private lastSig: CallSig | undefined;

  /** Resolve the group of a call (default: the world). */
  group(opt: GroupOpt = {}): ProcessGroup {
    if (opt.group) return opt.group;
    if (opt.axis) {
      if (opt.axis !== this.lastAxis) {
        this.lastAxisGroup = this.axisGroup(opt.axis);
        this.lastAxis = opt.axis;
      }
      return this.lastAxisGroup!;
    }
    return this.ctx.mesh.world();
  }

  /** This rank's group along a mesh axis. */
  private axisGroup(axis: string): ProcessGroup {
    const m = this.ctx.mesh;
    const hit = this.axisGroups.get(axis);
    if (hit) return hit;
    if (!m.has(axis)) {
      throw new SimError('config', `unknown mesh axis "${axis}"`, {
        ranks: [{ rank: this.ctx.rank, source: this.ctx.source(true), detail: 'named here' }],
        fix: `use one of ${m.axes.join(', ')}`,
      });
    }
    const g = m.axisGroup(axis, this.ctx.rank);
    this.axisGroups.set(axis, g);
    return g;
  }

  /** The global rank `delta` steps along `axis` from this one (null past either end). */
  peer(axis: string, delta: number): number | null {
    const m = this.ctx.mesh;
    const c = { ...this.ctx.coords };
    const v = (c[axis] ?? 0) + delta;
    if (v < 0 || v >= (m.has(axis) ? m.size(axis) : 1)) return null;
    c[axis] = v;
    return m.rankOf(c);
  }

  /**
   * Not an async function, for the hot loop of a folded meta run: a call that completes at once
   * (the one live member of its group) returns a settled promise without an async frame. It
   * settles as an async function would: a throw becomes a rejection, a wait takes the same ticks.
   */
  allReduce(x: Tensor, opt: GroupOpt & { op?: ReduceOp } = {}): Promise<Tensor> {
    try {
      const op = this.reduceOp(opt.op, 'all_reduce');
      const g = this.group(opt);
      const sig = this.allReduceSig(x, op);
      const pending = this.call(g, sig, x, opt.label);
      return pending instanceof Promise ? this.allReducedLater(pending, x, op, g) : Promise.resolve(this.allReduced(pending, x, op, g));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** A reduce op as given (default sum), refused at the person's line when it is not one AutoDist has. */
  private reduceOp(op: ReduceOp | undefined, call: string): ReduceOp {
    if (op === undefined || op === 'sum' || op === 'avg' || op === 'max' || op === 'min') return op ?? 'sum';
    throw new SimError('config', `rank ${this.ctx.rank}: ${call} has no reduce op ${JSON.stringify(op)}`, {
      ranks: [{ rank: this.ctx.rank, source: this.ctx.source(true), detail: 'called here' }],
      fix: 'use op "sum" (the default), "avg", "max" or "min"',
      source: this.ctx.source(true),
    });
  }

  /** The signature of an all-reduce of `x`: the last one made, when it is the same (a loop of calls makes one). */
  private allReduceSig(x: Tensor, op: ReduceOp): CallSig {
    const s = this.lastSig;
    if (s && s.reduceOp === op && s.dtype === x.dtype && sameShape(s.shape, x.shape)) return s;
    return (this.lastSig = { op: 'all_reduce', shape: x.shape, dtype: x.dtype, reduceOp: op });
  }

  // (the closures live in their own functions: a function that makes one allocates its context on every call)

  private allReducedLater(pending: Promise<Delivery>, x: Tensor, op: ReduceOp, g: ProcessGroup): Promise<Tensor> {
    return pending.then((d) => this.allReduced(d, x, op, g));
  }

  /** allReduce's output, with Megatron's gradient (see the class comment). */
  private allReduced(d: Delivery, x: Tensor, op: ReduceOp, g: ProcessGroup): Tensor {
    if (!(this.ctx.gradEnabled && x.requiresGrad)) return this.wrap(d, NO_INPUTS, null, true); // no tape: nothing to allocate for it
    return this.allReducedWithGrad(d, x, op, g.ranks.length);
  }

  private allReducedWithGrad(d: Delivery, x: Tensor, op: ReduceOp, n: number): Tensor {
    const out = this.wrap(d, [x], (dy) => {
      if (op === 'sum') return [dy];
      if (op === 'avg') return [scale(dy, 1 / n)];
      return [mul(dy, equalMask(x, out))];
    }, true);
    if (op !== 'sum' && op !== 'avg' && out.node) out.node = { ...out.node, saved: [x, out] }; // the mask reads both
    return out;
  }

  async allGather(x: Tensor, opt: GroupOpt & { dim?: number } = {}): Promise<Tensor> {
    const g = this.group(opt);
    const dim = this.dim(x, opt.dim ?? 0);
    const pending = this.call(g, { op: 'all_gather', shape: x.shape, dtype: x.dtype, dim }, x, opt.label);
    const d = pending instanceof Promise ? await pending : pending; // a folded solo call completes at once
    const i = g.ranks.indexOf(this.ctx.rank);
    return this.wrap(d, [x], (dy) => [narrow(dy, dim, i * x.shape[dim], x.shape[dim])], true);
  }

  async reduceScatter(x: Tensor, opt: GroupOpt & { dim?: number; op?: ReduceOp } = {}): Promise<Tensor> {
    const g = this.group(opt);
    const dim = this.dim(x, opt.dim ?? 0);
    const n = g.ranks.length;
    if (x.shape[dim] % n !== 0) {
      throw new SimError('shape', `reduceScatter: dim ${dim} of [${x.shape.join(', ')}] (${x.shape[dim]}) does not divide by the group size ${n}`, {
        ranks: [{ rank: this.ctx.rank, source: this.ctx.source(true), detail: 'called here' }],
        fix: `scatter along a dim whose size is a multiple of ${n}, or pad it`,
      });
    }
    const op = opt.op ?? 'sum';
    if (op !== 'sum' && op !== 'avg') {
      throw new SimError('config', `reduceScatter supports op sum or avg, not ${op}`, {
        ranks: [{ rank: this.ctx.rank, source: this.ctx.source(true), detail: 'called here' }],
        fix: 'use op "sum" or "avg"',
      });
    }
    const pending = this.call(g, { op: 'reduce_scatter', shape: x.shape, dtype: x.dtype, dim, reduceOp: op }, x, opt.label);
    const d = pending instanceof Promise ? await pending : pending; // a folded solo call completes at once
    return this.wrap(d, [x], async (dy) => {
      const full = await this.allGather(dy, { group: g, dim, label: 'reduce_scatter.backward' });
      return [op === 'avg' ? scale(full, 1 / n) : full];
    });
  }

  async allToAll(x: Tensor, opt: GroupOpt & { splitDim?: number; concatDim?: number } = {}): Promise<Tensor> {
    const g = this.group(opt);
    const splitDim = this.dim(x, opt.splitDim ?? 0);
    const concatDim = this.dim(x, opt.concatDim ?? 0);
    const n = g.ranks.length;
    if (x.shape[splitDim] % n !== 0) {
      throw new SimError('shape', `allToAll: split dim ${splitDim} of [${x.shape.join(', ')}] does not divide by the group size ${n}`, {
        ranks: [{ rank: this.ctx.rank, source: this.ctx.source(true), detail: 'called here' }],
      });
    }
    const pending = this.call(g, { op: 'all_to_all', shape: x.shape, dtype: x.dtype, splitDim, concatDim }, x, opt.label);
    const d = pending instanceof Promise ? await pending : pending; // a folded solo call completes at once
    return this.wrap(d, [x], async (dy) => [await this.allToAll(dy, { group: g, splitDim: concatDim, concatDim: splitDim, label: 'all_to_all.backward' })]);
  }

  async broadcast(x: Tensor, opt: GroupOpt & { src: number }): Promise<Tensor> {
    const g = this.group(opt);
    const pending = this.call(g, { op: 'broadcast', shape: x.shape, dtype: x.dtype, root: opt.src }, x, opt.label);
    const d = pending instanceof Promise ? await pending : pending; // a folded solo call completes at once
    return this.wrap(d, [], null, true);
  }

  async reduce(x: Tensor, opt: GroupOpt & { dst: number; op?: ReduceOp }): Promise<Tensor> {
    const g = this.group(opt);
    const pending = this.call(g, { op: 'reduce', shape: x.shape, dtype: x.dtype, root: opt.dst, reduceOp: this.reduceOp(opt.op, 'reduce') }, x, opt.label);
    const d = pending instanceof Promise ? await pending : pending; // a folded solo call completes at once
    return this.wrap(d, [], null);
  }

  async barrier(opt: GroupOpt = {}): Promise<void> {
    const g = this.group(opt);
    await this.engine.collective(this.ctx, g, { op: 'barrier', shape: [], dtype: 'float32' }, null, this.src(), opt.label);
  }

  /**
   * Megatron's f (copy_to_tensor_model_parallel_region): identity forward, all-reduce of the
   * gradient backward — for a replicated input whose consumers differ per rank.
   */
  copyToGroup(x: Tensor, opt: GroupOpt = {}): Tensor {
    const g = this.group(opt);
    // Several column-parallel layers reading one input (q, k and v; gate and up) share one f:
    // their partial dX add up on it and are all-reduced once, as with Megatron's fused layers.
    const key = `${g.id}|${opt.label ?? ''}`;
    const seen = this.copies.get(x);
    const hit = seen?.get(key);
    if (hit && this.ctx.gradEnabled && hit.node) return hit;
    const out = this.copyToGroupOnce(x, g, opt);
    if (this.ctx.gradEnabled && x.requiresGrad) {
      const m = seen ?? new Map<string, Tensor>();
      m.set(key, out);
      if (!seen) this.copies.set(x, m);
    }
    return out;
  }

  private readonly copies = new WeakMap<Tensor, Map<string, Tensor>>();

  private copyToGroupOnce(x: Tensor, g: ProcessGroup, opt: GroupOpt): Tensor {
    // the all-reduce runs behind the weight-gradient GEMMs of the layers reading the copy, when
    // they held them (../async-grad.ts: Megatron's async dX all-reduce)
    const out: Tensor = this.ctx.apply({
      name: 'copy_to_region',
      inputs: [x],
      shape: x.shape,
      dtype: x.dtype,
      flops: 0,
      free: true,
      key: '',
      saves: 'none', // the backward all-reduces dy and reads nothing of x
      compute: () => x.data!, // identity: the same immutable tensor, no copy
      backward: async (dy) => [await behindWeightGrads(this.ctx, out, () => this.allReduce(dy, { group: g, label: `${opt.label ?? 'copy_to_region'}.backward` }))],
    });
    return out;
  }

  /** Blocking send (waits for the matching recv). */
  async send(x: Tensor, dst: number, opt: { tag?: number } = {}): Promise<void> {
    await this.isend(x, dst, opt).wait();
  }

  /** Non-blocking send; `wait()` returns once it is received. */
  isend(x: Tensor, dst: number, opt: { tag?: number } = {}): Work {
    const tag = opt.tag ?? 0;
    if (!(x instanceof Tensor)) throw notATensor(x, this.ctx.rank, 'send', this.ctx.source(true));
    if (this.ctx.mode === 'numeric') x.requireData();
    this.checkOwn(x, 'send');
    this.checkStageEdge(dst, 'send');
    const post = this.engine.send(this.ctx, dst, tag, x, this.src());
    this.ctx.memory.read(x.memIndex);
    return { wait: () => this.engine.waitSend(post) };
  }

  /**
   * Receive from `src` into a buffer of `like`'s shape and dtype (a tensor or a {shape, dtype}),
   * as torch.distributed.recv fills a buffer. With `requiresGrad`, the received tensor carries a
   * gradient that backward() sends back to `src`.
   */
  async recv(like: Tensor | { shape: readonly number[]; dtype?: DType }, src: number, opt: { tag?: number; requiresGrad?: boolean } = {}): Promise<Tensor> {
    const tag = opt.tag ?? 0;
    this.checkStageEdge(src, 'recv');
    const d = await this.engine.recv(this.ctx, src, tag, like.shape, like.dtype ?? 'float32', this.src());
    const out = this.wrap(d, [], null);
    if (opt.requiresGrad && this.ctx.gradEnabled) {
      // A leaf whose gradient goes back to the sender when backward() reaches it.
      out.requiresGrad = true;
      out.node = {
        op: 'recv',
        inputs: [],
        backward: async (dy) => {
          await this.send(dy, src, { tag });
          return [];
        },
        module: this.ctx.module,
      };
    }
    return out;
  }

  /**
   * Post a receive from `src` into a buffer of `like`'s shape and dtype without blocking (torch's
   * irecv): the rank runs on; `wait()` blocks until the message has arrived and returns it.
   */
  irecv(like: Tensor | { shape: readonly number[]; dtype?: DType }, src: number, opt: { tag?: number } = {}): { wait(): Promise<Tensor> } {
    this.checkStageEdge(src, 'recv');
    const post = this.engine.irecv(this.ctx, src, opt.tag ?? 0, like.shape, like.dtype ?? 'float32', this.src());
    return { wait: async () => this.wrap(await post.wait(), [], null) };
  }

  /**
   * Receive whatever `src` sends with `tag`, taking its shape and dtype (the pipeline runtime's
   * receives: the activation shape is whatever the previous stage produced).
   */
  async recvAny(src: number, opt: { tag?: number } = {}): Promise<Tensor> {
    const d = await this.engine.recv(this.ctx, src, opt.tag ?? 0, null, 'float32', this.src());
    return this.wrap(d, [], null);
  }

  /** Receive the gradient of a tensor this rank sent with `send`, and backpropagate it. */
  async backwardFromPeer(x: Tensor, peer: number, opt: { tag?: number } = {}): Promise<void> {
    const prev = this.ctx.phase;
    this.ctx.phase = prev === 'forward' ? 'backward' : prev;
    let g: Tensor;
    try {
      g = await this.ctx.noGrad(() => this.recv({ shape: x.shape, dtype: x.dtype }, peer, opt));
    } finally {
      this.ctx.phase = prev;
    }
    await this.ctx.backward(x, g);
  }

  private src(): SourceLocation | undefined {
    return this.ctx.world.sourceMode === 'none' ? this.ctx.moduleSite() : this.ctx.source(true);
  }

  private dim(x: Tensor, dim: number): number {
    const d = dim < 0 ? dim + x.ndim : dim;
    if (!Number.isInteger(d) || d < 0 || d >= x.ndim) {
      throw new SimError('shape', `dim ${dim} is out of range for [${x.shape.join(', ')}]`, {
        ranks: [{ rank: this.ctx.rank, source: this.ctx.source(true), detail: 'called here' }],
        fix: `use a dim in [${-x.ndim}, ${x.ndim - 1}] (a tensor dimension, not a mesh axis)`,
      });
    }
    return d;
  }

  private call(g: ProcessGroup, sig: CallSig, x: Tensor, label?: string): Promise<Delivery> | Delivery {
    if (!(x instanceof Tensor)) throw notATensor(x, this.ctx.rank, sig.op, this.ctx.source(true));
    if (this.ctx.mode === 'numeric') x.requireData();
    this.checkOwn(x, sig.op);
    this.ctx.memory.read(x.memIndex);
    return this.engine.collective(this.ctx, g, sig, x.data, this.src(), label);
  }

  /** A rank may only pass its own tensors to comm. */
  /**
   * In a model run with pp > 1 the pipeline runtime moves activations between stages (and their
   * gradients back). A layer of the person's that also sends to or receives from the next or
   * previous stage (the seed's PipelineParallelTransformerLayer) would move them a second time
   * and leave the runtime's recv waiting: say so at the layer's line instead.
   */
  private checkStageEdge(peer: number, what: 'send' | 'recv'): void {
    const ctx = this.ctx;
    if (!ctx.pipelineRuntime || !ctx.moduleStack.length || !ctx.mesh.has('pp') || !Number.isInteger(peer) || peer < 0 || peer >= ctx.worldSize) return;
    const a = ctx.mesh.coords(ctx.rank);
    const b = ctx.mesh.coords(peer);
    if (a.pp === b.pp || Object.keys(a).some((k) => k !== 'pp' && a[k] !== b[k])) return; // not a pp neighbour
    const module = ctx.moduleStack[ctx.moduleStack.length - 1];
    const source = this.src();
    throw new SimError('config', `rank ${ctx.rank}: ${what} ${what === 'send' ? 'to' : 'from'} the ${b.pp > a.pp ? 'next' : 'previous'} pipeline stage inside ${module ? `layer ${module}` : 'a layer'}: in a model run with pp > 1 AutoDist's pipeline already moves each stage's activations to the next stage and their gradients back, so this ${what} would move them a second time`, {
      ranks: [{ rank: ctx.rank, source, detail: `${what} ${what === 'send' ? 'to' : 'from'} rank ${peer} here` }],
      source,
      fix: 'take the send/recv out of the layer and let the model run cut the stages (mesh: { pp: N }), or write the whole step as a `program`, where your layer\'s sends and recvs are the only ones (see examples/pipeline_seed_train.ts)',
    });
  }

  private checkOwn(x: Tensor, what: string): void {
    if (x.ctx !== this.ctx) throw notOwn(this.ctx, x, what);
  }

  private wrap(d: Delivery, inputs: readonly Tensor[], backward: BackwardFn | null, replicated = false): Tensor {
    const ctx = this.ctx;
    const t = new Tensor(ctx, d.shape, d.dtype, d.data ? ctx.own(d.data) : null);
    // every member got the same values: they share a content id (see share.ts)
    if (replicated && ctx.world.share && d.ledgerSeq >= 0) shareDelivery(t, d.ledgerSeq);
    t.memIndex = ctx.memory.make(bytesOf(t.size, t.dtype));
    if (backward && ctx.gradEnabled) tape(t, inputs, backward);
    return t;
  }
}

// (what follows is out of the hot path's functions, which V8 inlines only while they are small)

/** The content id of a collective's output, shared by every member that got the same values. */
function shareDelivery(t: Tensor, seq: number): void {
  t.cid = t.ctx.world.share!.id(`delivery:${seq}`);
}

/** Put a collective's output on the autograd tape, if an input needs a gradient. */
function tape(t: Tensor, inputs: readonly Tensor[], backward: BackwardFn): void {
  if (!inputs.some((x) => x.requiresGrad)) return;
  const ctx = t.ctx;
  t.requiresGrad = true;
  // a collective's backward is another collective on dy: it reads nothing of the forward
  // (all-reduce max/min, which does, says so itself)
  t.node = { op: 'collective', inputs, saved: NO_INPUTS, backward, module: ctx.module, site: ctx.moduleSite() };
}

function notOwn(ctx: RankContext, x: Tensor, what: string): SimError {
  return new SimError('user-exception', `rank ${ctx.rank} passed a tensor of rank ${x.rank} to ${what}`, {
    ranks: [{ rank: ctx.rank, source: ctx.source(true), detail: 'called here' }],
    fix: 'each rank passes its own tensor',
  });
}

function equalMask(x: Tensor, y: Tensor): Tensor {
  return x.ctx.apply({ name: 'equal_mask', inputs: [x, y], shape: x.shape, dtype: x.dtype, flops: x.size, compute: () => tf.tidy(() => tf.cast(tf.equal(x.data!, y.data!), 'float32')) });
}
