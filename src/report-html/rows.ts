import { fmtRanks } from '../report/format.js';
import type { CollectiveInfo, ModuleShapeInfo, Report, ShardInfo } from '../report/types.js';

/**
 * Table rows shared by the text summary and the HTML report: shards merged across ranks that
 * hold the same shape, collectives merged across the groups that make the same call together
 * (each dp replica's tp group, say).
 */
export interface ShardRow {
  readonly shard: ShardInfo;
  readonly ranks: number[];
  /** The module, or with `foldLayers` its repeated layers folded: "h.{0-3}.attn.c_attn". */
  module: string;
  readonly layers: Set<number>;
}

/**
 * Shards merged across ranks with the same shapes; with `foldLayers`, also across the repeated
 * layers of a model ("h.0.mlp.c_fc" … "h.11.mlp.c_fc" → one row "h.{0-11}.mlp.c_fc").
 */
export function shardRows(shards: readonly ShardInfo[], opts: { foldLayers?: boolean } = {}): ShardRow[] {
  const rows = new Map<string, ShardRow>();
  for (const s of shards) {
    const f = opts.foldLayers ? layerPattern(s.module) : { pattern: s.module, index: undefined };
    const k = [f.pattern, s.param, s.globalShape.join('x'), s.localShape.join('x'), s.placement, s.kind, s.source?.file, s.source?.line].join('|');
    const e = rows.get(k);
    if (e) {
      if (!e.ranks.includes(s.rank)) e.ranks.push(s.rank);
      if (f.index !== undefined) e.layers.add(f.index);
    } else rows.set(k, { shard: s, ranks: [s.rank], module: s.module, layers: new Set(f.index === undefined ? [] : [f.index]) });
  }
  for (const r of rows.values()) if (r.layers.size > 1) r.module = foldedName(r.shard.module, r.layers);
  return [...rows.values()];
}

export interface ModuleRow {
  readonly m: ModuleShapeInfo;
  readonly ranks: number[];
  module: string;
  readonly layers: Set<number>;
}

/**
 * Each module's output shape on a rank (the seed's Yᵢ [8, 128, 1024]), merged across ranks with
 * the same shape; with `foldLayers`, across repeated layers too.
 */
export function moduleRows(modules: readonly ModuleShapeInfo[], opts: { foldLayers?: boolean } = {}): ModuleRow[] {
  const rows = new Map<string, ModuleRow>();
  for (const m of modules) {
    const f = opts.foldLayers ? layerPattern(m.module) : { pattern: m.module, index: undefined };
    const k = [f.pattern, m.kind, m.outputShape.join('x'), m.denseOutputShape?.join('x'), m.source?.file, m.source?.line].join('|');
    const e = rows.get(k);
    if (e) {
      if (!e.ranks.includes(m.rank)) e.ranks.push(m.rank);
      if (f.index !== undefined) e.layers.add(f.index);
    } else rows.set(k, { m, ranks: [m.rank], module: m.module, layers: new Set(f.index === undefined ? [] : [f.index]) });
  }
  for (const r of rows.values()) if (r.layers.size > 1) r.module = foldedName(r.m.module, r.layers);
  return [...rows.values()];
}

/** "h.3.attn.c_attn" → pattern "h.*.attn.c_attn", index 3 (the first numeric segment). */
export function layerPattern(path: string): { pattern: string; index: number | undefined } {
  const parts = path.split('.');
  const i = parts.findIndex((p) => /^\d+$/.test(p));
  if (i < 0) return { pattern: path, index: undefined };
  const index = Number(parts[i]);
  parts[i] = '*';
  return { pattern: parts.join('.'), index };
}

/** "h.3.attn.c_attn" with layers {0,1,2,3} → "h.{0-3}.attn.c_attn". */
export function foldedName(path: string, layers: Iterable<number>): string {
  const parts = path.split('.');
  const i = parts.findIndex((p) => /^\d+$/.test(p));
  if (i < 0) return path;
  parts[i] = `{${rangeList([...layers])}}`;
  return parts.join('.');
}

/** [0,1,2,3,6] → "0-3,6". */
const rangeList = (xs: number[]): string => fmtRanks([...new Set(xs)], '-', ',');

export interface CollectiveRow {
  readonly c: CollectiveInfo;
  /** Calls merged into this row (folded multiplicity counted). */
  calls: number;
  readonly groups: Set<string>;
  /** The module, or its repeated layers folded: "h.{0-3}.mlp.c_proj". */
  module: string;
  readonly layers: Set<number>;
}

/**
 * The ledger as table rows. By default one row per call, merged across the groups that make the
 * same call at once (each dp replica's tp group); with `foldLayers`, one row per kind of call:
 * the same op, phase, size and line in every repeated layer ("h.{0-11}.mlp.c_proj", 24 calls).
 */
export function collectiveRows(cs: readonly CollectiveInfo[], opts: { foldLayers?: boolean } = {}): CollectiveRow[] {
  const rows: CollectiveRow[] = [];
  const open = new Map<string, CollectiveRow[]>();
  for (const c of cs) {
    const f = opts.foldLayers && c.module ? layerPattern(c.module) : { pattern: c.module ?? '', index: undefined };
    const k = [c.op, c.reduceOp, c.axis, c.phase, f.pattern, c.label, c.shape.join('x'), c.dtype, c.bytes, c.source?.file, c.source?.line].join('|');
    const m = c.multiplicity ?? 1;
    const cands = open.get(k) ?? [];
    const row = opts.foldLayers ? cands[0] : cands.find((x) => !x.groups.has(c.group));
    if (row) {
      row.groups.add(c.group);
      row.calls += m;
      if (f.index !== undefined && !row.layers.has(f.index)) {
        row.layers.add(f.index);
        row.module = foldedName(row.c.module ?? '', row.layers);
      }
      continue;
    }
    const fresh: CollectiveRow = { c, calls: m, groups: new Set([c.group]), module: c.module ?? c.label ?? '', layers: new Set(f.index === undefined ? [] : [f.index]) };
    rows.push(fresh);
    open.set(k, [...cands, fresh]);
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
