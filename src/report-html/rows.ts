import type { CollectiveInfo, Report, ShardInfo } from '../report/types.js';

/**
 * Table rows shared by the text summary and the HTML report: shards merged across ranks that
 * hold the same shape, collectives merged across the groups that make the same call together
 * (each dp replica's tp group, say).
 */
export interface ShardRow {
  readonly shard: ShardInfo;
  readonly ranks: number[];
}

export function shardRows(shards: readonly ShardInfo[]): ShardRow[] {
  const rows = new Map<string, ShardRow>();
  for (const s of shards) {
    const k = [s.module, s.param, s.globalShape.join('x'), s.localShape.join('x'), s.placement, s.kind].join('|');
    const e = rows.get(k);
    if (e) e.ranks.push(s.rank);
    else rows.set(k, { shard: s, ranks: [s.rank] });
  }
  return [...rows.values()];
}

export interface CollectiveRow {
  readonly c: CollectiveInfo;
  /** How many groups made this call (counting folded multiplicity). */
  n: number;
  readonly groups: Set<string>;
}

export function collectiveRows(cs: readonly CollectiveInfo[]): CollectiveRow[] {
  const rows: CollectiveRow[] = [];
  const open = new Map<string, CollectiveRow[]>();
  for (const c of cs) {
    const k = [c.op, c.reduceOp, c.axis, c.phase, c.module, c.label, c.shape.join('x'), c.dtype, c.bytes, c.source?.file, c.source?.line].join('|');
    const cands = open.get(k) ?? [];
    const row = cands.find((x) => !x.groups.has(c.group));
    if (row) {
      row.groups.add(c.group);
      row.n += c.multiplicity ?? 1;
    } else {
      const fresh: CollectiveRow = { c, n: c.multiplicity ?? 1, groups: new Set([c.group]) };
      rows.push(fresh);
      open.set(k, [...cands, fresh]);
    }
  }
  return rows;
}

/** Collective calls, folded ones counted as many times as they stand for. */
export function callCount(r: Report): number {
  return r.collectives.reduce((s, c) => s + (c.multiplicity ?? 1), 0);
}

/** The verdict in a few words: "verified", "NOT verified", "error", "ran (not verified)". */
export function verdictWord(r: Report): 'verified' | 'not verified' | 'error' | 'ran' {
  if (r.errors.length) return 'error';
  if (r.verification.skipped) return 'ran';
  return r.verification.passed ? 'verified' : 'not verified';
}
