import type { CollectiveInfo, TrafficSummary } from './types.js';

type Totals = Record<string, { count: number; bytes: number; wireBytes: number }>;

/**
 * Traffic totals by phase, collective kind and mesh axis, and the bytes each rank sends and
 * receives. A folded ledger entry counts `multiplicity` times; given `repOf`, a folded-away rank
 * sends and receives what its representative does. The report builds this once a run ends; the
 * panel builds it live from the entries streamed so far.
 */
export function summarizeTraffic(cs: readonly CollectiveInfo[], world: number, repOf?: (rank: number) => number): TrafficSummary {
  const byPhase: Totals = {};
  const byOp: Totals = {};
  const byAxis: Totals = {};
  const add = (m: Totals, k: string, c: CollectiveInfo, n: number) => {
    const e = (m[k] ??= { count: 0, bytes: 0, wireBytes: 0 });
    e.count += n;
    e.bytes += c.bytes * n;
    e.wireBytes += c.wireBytes * n;
  };
  let ranks = world;
  for (const c of cs) for (const r of c.ranks) if (r + 1 > ranks) ranks = r + 1;
  const sent = new Array<number>(ranks).fill(0);
  const recv = new Array<number>(ranks).fill(0);
  let totalBytes = 0;
  let totalWireBytes = 0;
  for (const c of cs) {
    const n = c.multiplicity ?? 1; // a folded entry stands for that many identical groups
    add(byPhase, c.phase, c, n);
    add(byOp, c.op, c, n);
    add(byAxis, c.axis ?? c.group, c, n);
    totalBytes += c.bytes * n;
    totalWireBytes += c.wireBytes * n;
    c.ranks.forEach((r, i) => (sent[r] += c.sentBytes[i] ?? 0));
    if (c.op === 'send_recv') recv[c.ranks[1]] += c.bytes;
    else c.ranks.forEach((r, i) => (recv[r] += c.sentBytes[(i - 1 + c.ranks.length) % c.ranks.length] ?? 0));
  }
  if (repOf) {
    for (let r = 0; r < ranks; r++) {
      const rep = repOf(r);
      sent[r] = sent[rep];
      recv[r] = recv[rep];
    }
  }
  return { byPhase, byOp, byAxis, perRank: sent.map((s, rank) => ({ rank, sentBytes: s, recvBytes: recv[rank] })), totalBytes, totalWireBytes };
}
