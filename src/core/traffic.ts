import type { Algorithm, CollectiveOp } from './ledger.js';

/**
 * Bytes each member of a collective really sends and receives, by algorithm — the accounting of
 * nccl-tests doc/PERFORMANCE.md made per rank. With S the nccl-tests size and n the group size:
 *
 *   all_reduce      ring: rank i sends 2(n−1) chunks of S/n (reduce-scatter then all-gather),
 *                         2(n−1) steps → busbw factor 2(n−1)/n.
 *                   tree: NCCL's double binary tree; each tree carries S/2; a non-root sends its
 *                         half up once (reduce) and down once per child (broadcast). The total on
 *                         the wire is 2(n−1)·S, as for ring; per rank it is uneven.
 *                   direct: reduce-scatter then all-gather, each rank sending its n−1 chunks
 *                         straight to their owners: 2 steps, 2(n−1)/n·S per rank.
 *   all_gather      ring: rank i forwards every chunk but one: (n−1)/n·S, n−1 steps.
 *   reduce_scatter  ring: as all_gather: (n−1)/n·S, n−1 steps.
 *   broadcast       ring (pipelined chain from the root): every rank but the chain's last sends S.
 *                   tree: binary tree from the root: each node sends S to each child.
 *   reduce          the mirror of broadcast: every rank but the root sends S.
 *   all_to_all      each rank sends its n−1 foreign chunks: (n−1)/n·S, n−1 steps.
 *   send_recv       the sender sends S, the receiver receives S, 1 step.
 *   barrier         no payload; the steps of a ring all-reduce.
 *
 * Chunks are whole elements: a buffer of E elements splits into n chunks of ⌊E/n⌋ or ⌈E/n⌉.
 */
export interface Traffic {
  /** Per group member (group order), in bytes. */
  readonly sent: number[];
  readonly recv: number[];
  readonly steps: number;
  /** The algorithm really used (all_gather has no tree: it falls back to ring). */
  readonly algorithm: Algorithm;
}

export function chunkSizes(elements: number, n: number): number[] {
  const base = Math.floor(elements / n);
  const extra = elements - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

function ringAllReduce(elements: number, n: number, bpe: number): Traffic {
  const c = chunkSizes(elements, n);
  const sent = zeros(n);
  const recv = zeros(n);
  for (let i = 0; i < n; i++) {
    // reduce-scatter: rank i sends every chunk but (i+1) mod n; all-gather: every chunk but (i+2) mod n
    sent[i] = (2 * elements - c[(i + 1) % n] - c[(i + 2) % n]) * bpe;
  }
  for (let i = 0; i < n; i++) recv[(i + 1) % n] = sent[i];
  return { sent, recv, steps: 2 * (n - 1), algorithm: 'ring' };
}

function ringGather(elements: number, n: number, bpe: number): Traffic {
  const c = chunkSizes(elements, n);
  const sent = zeros(n);
  const recv = zeros(n);
  for (let i = 0; i < n; i++) sent[i] = (elements - c[(i + 1) % n]) * bpe;
  for (let i = 0; i < n; i++) recv[(i + 1) % n] = sent[i];
  return { sent, recv, steps: n - 1, algorithm: 'ring' };
}

function directExchange(elements: number, n: number, bpe: number, phases: number): Traffic {
  const c = chunkSizes(elements, n);
  const sent = zeros(n);
  const recv = zeros(n);
  for (let i = 0; i < n; i++) {
    // phase 1 (scatter-reduce): i sends chunk j to owner j; phase 2 (gather): owner i sends chunk i to all
    sent[i] = phases === 2 ? (elements - c[i]) * bpe + c[i] * (n - 1) * bpe : (elements - c[i]) * bpe;
    recv[i] = phases === 2 ? c[i] * (n - 1) * bpe + (elements - c[i]) * bpe : (elements - c[i]) * bpe;
  }
  return { sent, recv, steps: phases, algorithm: 'direct' };
}

/** Heap-shaped binary tree over positions 0..n−1: parent(p) = (p−1)>>1. */
function heapChildren(p: number, n: number): number {
  return (2 * p + 1 < n ? 1 : 0) + (2 * p + 2 < n ? 1 : 0);
}

function heapDepth(n: number): number {
  return n <= 1 ? 0 : Math.floor(Math.log2(n));
}

function treeAllReduce(elements: number, n: number, bpe: number): Traffic {
  const halves = [Math.ceil(elements / 2), Math.floor(elements / 2)];
  const sent = zeros(n);
  const recv = zeros(n);
  // Tree A places rank r at position r; tree B (the mirror) places rank r at position n−1−r.
  for (let t = 0; t < 2; t++) {
    const h = halves[t] * bpe;
    for (let r = 0; r < n; r++) {
      const p = t === 0 ? r : n - 1 - r;
      const kids = heapChildren(p, n);
      const up = p === 0 ? 0 : h;
      sent[r] += up + kids * h; // reduce: once to parent; broadcast: once per child
      recv[r] += kids * h + up;
    }
  }
  return { sent, recv, steps: 2 * heapDepth(n), algorithm: 'tree' };
}

function chain(elements: number, n: number, bpe: number, root: number, toward: 'out' | 'in'): Traffic {
  const sent = zeros(n);
  const recv = zeros(n);
  const S = elements * bpe;
  for (let i = 0; i < n; i++) {
    const pos = (i - root + n) % n; // position along the chain that starts at the root
    if (toward === 'out') {
      if (pos < n - 1) sent[i] = S;
      if (pos > 0) recv[i] = S;
    } else {
      if (pos > 0) sent[i] = S;
      if (pos < n - 1) recv[i] = S;
    }
  }
  return { sent, recv, steps: n - 1, algorithm: 'ring' };
}

function treeRooted(elements: number, n: number, bpe: number, root: number, toward: 'out' | 'in'): Traffic {
  const sent = zeros(n);
  const recv = zeros(n);
  const S = elements * bpe;
  for (let i = 0; i < n; i++) {
    const p = (i - root + n) % n;
    const kids = heapChildren(p, n);
    if (toward === 'out') {
      sent[i] = kids * S;
      recv[i] = p === 0 ? 0 : S;
    } else {
      sent[i] = p === 0 ? 0 : S;
      recv[i] = kids * S;
    }
  }
  return { sent, recv, steps: heapDepth(n), algorithm: 'tree' };
}

/**
 * @param elements nccl-tests size in elements (see LedgerEntry)
 * @param root group index of the root for broadcast/reduce; for send_recv the sender is member 0
 */
export function trafficOf(op: CollectiveOp, algorithm: Algorithm, n: number, elements: number, bytesPerElement: number, root = 0): Traffic {
  if (op === 'send_recv') {
    const S = elements * bytesPerElement;
    return { sent: [S, 0], recv: [0, S], steps: 1, algorithm: 'direct' };
  }
  if (n <= 1) return { sent: zeros(n), recv: zeros(n), steps: 0, algorithm };
  switch (op) {
    case 'all_reduce':
      if (algorithm === 'tree') return treeAllReduce(elements, n, bytesPerElement);
      if (algorithm === 'direct') return directExchange(elements, n, bytesPerElement, 2);
      return ringAllReduce(elements, n, bytesPerElement);
    case 'barrier':
      return { ...ringAllReduce(0, n, bytesPerElement), algorithm };
    case 'all_gather':
    case 'reduce_scatter':
      if (algorithm === 'direct') return directExchange(elements, n, bytesPerElement, 1);
      return ringGather(elements, n, bytesPerElement);
    case 'all_to_all':
      return { ...directExchange(elements, n, bytesPerElement, 1), steps: n - 1 };
    case 'broadcast':
      return algorithm === 'tree' ? treeRooted(elements, n, bytesPerElement, root, 'out') : chain(elements, n, bytesPerElement, root, 'out');
    case 'reduce':
      return algorithm === 'tree' ? treeRooted(elements, n, bytesPerElement, root, 'in') : chain(elements, n, bytesPerElement, root, 'in');
  }
}
