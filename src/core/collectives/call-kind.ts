import { collectiveTimeUs } from '../cost/index.js';
import { DTYPE_BYTES, bytesOf } from '../dtype.js';
import type { CollectiveOp } from '../ledger.js';
import type { LedgerKind } from '../ledger-log.js';
import type { ProcessGroup } from '../mesh.js';
import { trafficOf } from '../traffic.js';
import type { World } from '../world.js';
import { ncclElements, outputShape } from './combine.js';
import type { Delivery } from './engine.js';
import type { CallSig } from './signature.js';

/**
 * One kind of collective call on one group: what its ledger entries and comm events share
 * (nccl-tests size, traffic, alpha-beta time, multiplicity, shapes), and the call it was first
 * made for. Every call of the same kind is recorded by reference to it.
 */
export type CallKind = LedgerKind & {
  readonly op: CollectiveOp;
  readonly inShapes: readonly (readonly number[])[];
  readonly outShape: readonly number[];
  readonly sig: CallSig;
  /** Position of the root in the group (0 without a root). */
  readonly rootIdx: number;
  /** What a member gets in meta mode: no values, the output's shape and dtype. */
  readonly metaDelivery: Delivery;
};

/** Kinds remembered per group; a program cycles through a few (its layers' shapes and ops). */
const RECENT = 16;

/** Traffic and time, shared by kinds of equal (op, algorithm, group, size, dtype, root). */
interface Accounting {
  readonly traffic: ReturnType<typeof trafficOf>;
  readonly cost: ReturnType<typeof collectiveTimeUs>;
  readonly bytes: number;
  readonly sentMax: number;
  readonly wire: number;
}

/** Makes and finds the kinds of a world's collectives: one object per kind for the whole run. */
export class CallKinds {
  private readonly accountings = new Map<string, Accounting>();
  /** Every kind made, by group and call (the lookup behind a group's recent kinds). */
  private readonly all = new Map<string, CallKind>();

  constructor(private readonly world: World) {}

  /** The kind of `sig` on `group`: one of the group's `recent` kinds, or found (made) and added to them. */
  of(recent: CallKind[], group: ProcessGroup, sig: CallSig): CallKind {
    for (let i = recent.length - 1; i >= 0; i--) if (sameCall(recent[i].sig, sig)) return recent[i];
    return this.find(recent, group, sig);
  }

  /** A kind not among the group's recent ones: found (or made) by its key, and added to them. */
  private find(recent: CallKind[], group: ProcessGroup, sig: CallSig): CallKind {
    const key = `${group.id}|${sig.op}|${sig.dtype}|${sig.shape.join('x')}|${sig.reduceOp}|${sig.dim}|${sig.root}|${sig.splitDim}|${sig.concatDim}`;
    let k = this.all.get(key);
    if (!k) {
      k = this.make(group, sig);
      this.all.set(key, k);
    }
    if (recent.length === RECENT) recent.shift();
    recent.push(k);
    return k;
  }

  private make(group: ProcessGroup, sig: CallSig): CallKind {
    const ranks = group.ranks;
    const n = ranks.length;
    const rootIdx = sig.root === undefined ? 0 : ranks.indexOf(sig.root);
    const elements = ncclElements(sig, n);
    const { traffic, cost, bytes, sentMax, wire } = this.accounting(sig, group, elements, rootIdx);
    const fold = this.world.fold;
    const outShape = Object.freeze(outputShape(sig, n));
    return {
      sig,
      rootIdx,
      op: sig.op,
      reduceOp: sig.reduceOp,
      axis: group.axis,
      group: group.id,
      ranks,
      dtype: sig.dtype,
      shape: sig.shape,
      elements,
      bytes,
      algorithm: traffic.algorithm,
      sentBytes: traffic.sent,
      recvBytes: traffic.recv,
      sentBytesPerRank: sentMax,
      wireBytes: wire,
      steps: traffic.steps,
      link: cost.link,
      timeUs: cost.timeUs,
      tag: undefined,
      multiplicity: fold.active ? fold.multiplicity(group) : 1,
      inShapes: Object.freeze([sig.shape]),
      outShape,
      metaDelivery: { data: null, shape: outShape, dtype: sig.dtype, ledgerSeq: -1 },
    };
  }

  /** Traffic and time of a collective, cached per (op, algorithm, group, size, dtype, root). */
  private accounting(sig: CallSig, group: ProcessGroup, elements: number, rootIdx: number): Accounting {
    const w = this.world;
    const algorithm = w.algorithmFor(sig.op);
    const key = `${sig.op}|${algorithm}|${group.id}|${elements}|${sig.dtype}|${rootIdx}`;
    let hit = this.accountings.get(key);
    if (!hit) {
      const traffic = trafficOf(sig.op, algorithm, group.ranks.length, elements, DTYPE_BYTES[sig.dtype], rootIdx);
      const bytes = bytesOf(elements, sig.dtype);
      const cost = collectiveTimeUs({ op: sig.op, algorithm: traffic.algorithm, ranks: group.ranks, bytes, hw: w.hardware, gpusPerNode: w.gpusPerNode });
      let sentMax = 0;
      let wire = 0;
      for (const x of traffic.sent) {
        if (x > sentMax) sentMax = x;
        wire += x;
      }
      hit = { traffic, cost, bytes, sentMax, wire };
      if (this.accountings.size > 10_000) this.accountings.clear();
      this.accountings.set(key, hit);
    }
    return hit;
  }
}

/** Two calls of one kind: the same op, dtype, shape, reduction, dims and root. */
function sameCall(a: CallSig, b: CallSig): boolean {
  if (a === b) return true;
  if (a.op !== b.op || a.dtype !== b.dtype || a.reduceOp !== b.reduceOp || a.dim !== b.dim || a.root !== b.root || a.splitDim !== b.splitDim || a.concatDim !== b.concatDim) return false;
  const p = a.shape;
  const q = b.shape;
  if (p === q) return true;
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return false;
  return true;
}
