/**
 * What a run found wrong, as problems at the person's lines: errors at every rank's site
 * (a deadlock lists each waiting rank's line), and the first numeric divergence at the line that
 * caused it. Pure; `diagnostics.ts` turns these into the Problems panel's diagnostics.
 */
import type { Report, ReportError, SourceRef } from '../report/types.js';

export interface Related {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface Problem {
  readonly file: string;
  /** 1-based; 0 when the run did not know the line (the host then points at the `simulation(` line). */
  readonly line: number;
  /** 1-based; 0 when unknown. */
  readonly column: number;
  readonly message: string;
  readonly severity: 'error' | 'warning';
  /** The error kind ("deadlock", "shape", …) or "divergence". */
  readonly code: string;
  readonly related: readonly Related[];
}

const withFix = (text: string, fix: string | undefined): string => (fix ? `${text}. Fix: ${fix}` : text);
const ranksLabel = (rs: readonly number[]): string => (rs.length === 1 ? `rank ${rs[0]}` : `ranks ${rs.join(', ')}`);
const key = (s: SourceRef): string => `${s.file}\u0000${s.line}`;

function errorProblems(e: ReportError, script: string | undefined): Problem[] {
  const sited = e.ranks.filter((r) => r.source);
  if (!sited.length) {
    const at = e.source;
    return [{ file: at?.file ?? script ?? '', line: at?.line ?? 0, column: at?.column ?? 0, message: withFix(e.headline, e.fix), severity: 'error', code: e.kind, related: [] }];
  }
  // one problem per line; each names the ranks there and what they were doing
  const byLine = new Map<string, { at: SourceRef; sites: { rank: number; detail: string }[] }>();
  for (const r of sited) {
    const k = key(r.source!);
    const g = byLine.get(k) ?? { at: r.source!, sites: [] };
    g.sites.push({ rank: r.rank, detail: r.detail });
    byLine.set(k, g);
  }
  const groups = [...byLine.values()];
  return groups.map((g) => {
    const details = new Map<string, number[]>();
    for (const s of g.sites) details.set(s.detail, [...(details.get(s.detail) ?? []), s.rank]);
    const what = [...details.entries()].map(([d, rs]) => `${ranksLabel(rs)} ${d}`).join('; ');
    const related = groups.filter((o) => o !== g).map((o) => ({ file: o.at.file, line: o.at.line, column: o.at.column, message: `${ranksLabel(o.sites.map((s) => s.rank))} ${o.sites[0].detail}` }));
    return { file: g.at.file, line: g.at.line, column: g.at.column, message: withFix(`${e.headline} — ${what}`, e.fix), severity: 'error' as const, code: e.kind, related };
  });
}

export function problemsOf(r: Report): Problem[] {
  const out: Problem[] = [];
  for (const e of r.errors) out.push(...errorProblems(e, r.script));
  const d = r.verification.firstDivergence;
  if (d) {
    const at = d.source ?? d.builtAt;
    const related: Related[] = d.builtAt && d.source && key(d.builtAt) !== key(d.source) ? [{ ...d.builtAt, message: `${d.where} is built here` }] : [];
    const hasFix = /—|\bfix\b|likely cause/i.test(d.message);
    const message = hasFix ? d.message : `${d.message} — compare this layer with its unsharded form: how its weights are split and which collective combines its outputs`;
    out.push({ file: at?.file ?? r.script ?? '', line: at?.line ?? 0, column: at?.column ?? 0, message, severity: 'error', code: 'divergence', related });
  }
  // ranks sharing module-level state past the per-rank limit: a warning at each line of that state
  for (const w of r.warnings ?? []) {
    out.push({ file: w.source?.file ?? r.script ?? '', line: w.source?.line ?? 0, column: w.source?.column ?? 0, message: withFix(w.message, w.fix), severity: 'warning', code: 'shared-state', related: [] });
  }
  return out;
}
