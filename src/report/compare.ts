/**
 * Several runs side by side: the rows `autodist compare`, its HTML and the panel's Compare tab
 * show, a column per run, and the difference of one run against an earlier one of the same file.
 * Pure data from reports (no node, no DOM).
 */
import { basename, fmtBytes, fmtErr, fmtUs } from './format.js';
import type { CollectiveInfo, Report } from './types.js';

export interface CompareCell {
  readonly text: string;
  /** The number the row ranks by (absent: nothing to rank, e.g. a run that never got there). */
  readonly value?: number;
  /** The best of its row (ties all marked; nothing marked when every run has the same value). */
  readonly best: boolean;
}

export interface CompareRow {
  readonly label: string;
  /** Section the row belongs to: "", "collectives", "time", "memory". */
  readonly section: string;
  /** Indented under the row before it (a collective's calls, logical, sent per rank, wire). */
  readonly sub: boolean;
  readonly cells: readonly CompareCell[];
}

export interface Comparison {
  /** Column headers: the script's file name (with its mode when the runs mix modes). */
  readonly runs: readonly string[];
  readonly rows: readonly CompareRow[];
}

type Better = 'lower' | 'higher' | 'none';

/** Verdicts ranked: verified best, then ran (not verified: meta), then not verified, then error. */
const VERDICT_RANK = { verified: 0, ran: 1, 'not verified': 2, error: 3 } as const;

export function verdictOf(r: Report): keyof typeof VERDICT_RANK {
  if (r.errors.length) return 'error';
  if (r.verification.skipped) return 'ran';
  return r.verification.passed ? 'verified' : 'not verified';
}

/** The one-line verdict a column shows. */
export function verdictText(r: Report): string {
  const v = verdictOf(r);
  if (v === 'error') return `error: ${r.errors[0].headline}`;
  if (v === 'ran') return 'ran, not verified';
  return v === 'verified' ? 'verified' : 'NOT VERIFIED';
}

/** What one rank sends over a run, summed over the ledger entries it is in (per rank of their group). */
function collectiveTotals(cs: readonly CollectiveInfo[]): Map<string, { calls: number; bytes: number; sentPerRank: number; wire: number }> {
  const out = new Map<string, { calls: number; bytes: number; sentPerRank: number; wire: number }>();
  for (const c of cs) {
    const n = c.multiplicity ?? 1;
    const key = `${c.op} · ${c.phase}`;
    const e = out.get(key) ?? { calls: 0, bytes: 0, sentPerRank: 0, wire: 0 };
    e.calls += n;
    e.bytes += c.bytes * n;
    // a rank is in one of the `n` identical groups: it sends what one member sends, once
    e.sentPerRank += c.sentBytesPerRank;
    e.wire += c.wireBytes * n;
    out.set(key, e);
  }
  return out;
}

function slowest(r: Report) {
  const pr = r.timeline.perRank;
  return pr.length ? pr.reduce((a, b) => (b.endUs > a.endUs ? b : a), pr[0]) : undefined;
}

/** The rows of a comparison; runs in the order given. */
export function compareReports(reports: readonly Report[]): Comparison {
  const names = reports.map((r) => (r.script ? basename(r.script) : 'simulation'));
  const modes = new Set(reports.map((r) => r.mode));
  const runs = names.map((n, i) => (modes.size > 1 ? `${n} (${reports[i].mode})` : n));
  const rows: CompareRow[] = [];
  // a run that is wrong is not the best at anything but its verdict: rank among the right ones
  const right = reports.map((r) => verdictOf(r) === 'verified' || verdictOf(r) === 'ran');
  const eligible = right.some(Boolean) ? right : reports.map(() => true);
  const row = (label: string, section: string, better: Better, cell: (r: Report) => { text: string; value?: number } | undefined, sub = false) => {
    const raw = reports.map((r) => cell(r) ?? { text: '—' });
    rows.push({ label, section, sub, cells: markBest(raw, better, label === 'verdict' ? reports.map(() => true) : eligible) });
  };

  row('verdict', '', 'lower', (r) => ({ text: verdictText(r), value: VERDICT_RANK[verdictOf(r)] }));
  row('ranks', '', 'none', (r) => ({ text: `${r.mesh.axes.map((a, i) => (r.mesh.sizes[i] > 1 ? `${a}=${r.mesh.sizes[i]}` : '')).filter(Boolean).join(' × ') || 'one rank'}` }));

  const totals = reports.map((r) => collectiveTotals(r.collectives));
  const keys = [...new Set(totals.flatMap((t) => [...t.keys()]))].sort(byPhaseThenOp);
  for (const k of keys) {
    const get = (r: Report) => totals[reports.indexOf(r)].get(k);
    row(k, 'collectives', 'none', (r) => num(get(r)?.calls ?? 0, (v) => (v ? `${v} call${v === 1 ? '' : 's'}` : 'none')));
    row('logical', 'collectives', 'none', (r) => bytes(get(r)?.bytes ?? 0), true);
    row('sent per rank', 'collectives', 'none', (r) => bytes(get(r)?.sentPerRank ?? 0), true);
    row('wire (all ranks)', 'collectives', 'lower', (r) => bytes(get(r)?.wire ?? 0), true);
  }
  row('total logical', 'collectives', 'lower', (r) => bytes(r.traffic.totalBytes));
  row('total wire', 'collectives', 'lower', (r) => bytes(r.traffic.totalWireBytes));

  row('step', 'time', 'lower', (r) => (r.timeline.stepTimeUs > 0 ? us(r.timeline.stepTimeUs) : undefined));
  row('compute (slowest rank)', 'time', 'lower', (r) => { const s = slowest(r); return s && r.timeline.stepTimeUs > 0 ? us(s.computeUs) : undefined; }, true);
  row('communication (slowest rank)', 'time', 'lower', (r) => { const s = slowest(r); return s && r.timeline.stepTimeUs > 0 ? us(s.commUs) : undefined; }, true);
  row('bubble (idle share of the step)', 'time', 'lower', (r) => (r.timeline.stepTimeUs > 0 ? { text: `${(100 * r.timeline.bubbleFraction).toFixed(1)} %`, value: round(r.timeline.bubbleFraction, 4) } : undefined), true);

  row('peak per rank', 'memory', 'lower', (r) => {
    const m = r.memory.perRank;
    if (!m.length) return undefined;
    const peak = m.reduce((a, b) => (b.peakBytes > a.peakBytes ? b : a), m[0]);
    return { text: `${fmtBytes(peak.peakBytes)} (rank ${peak.rank})`, value: peak.peakBytes };
  });

  row('first divergence', '', 'none', (r) => {
    const d = r.verification.firstDivergence;
    if (r.errors.length) return { text: r.errors[0].source ? `${r.errors[0].kind} at ${basename(r.errors[0].source.file)}:${r.errors[0].source.line}` : r.errors[0].kind };
    return d ? { text: `${d.where} (${d.kind}, max |Δ| ${fmtErr(d.maxAbs)})${d.source ? ` at ${basename(d.source.file)}:${d.source.line}` : ''}` } : { text: 'none' };
  });
  return { runs, rows };
}

const PHASES = ['forward', 'backward', 'optimizer'];
function byPhaseThenOp(a: string, b: string): number {
  const [oa, pa] = a.split(' · ');
  const [ob, pb] = b.split(' · ');
  const ia = PHASES.indexOf(pa) < 0 ? PHASES.length : PHASES.indexOf(pa);
  const ib = PHASES.indexOf(pb) < 0 ? PHASES.length : PHASES.indexOf(pb);
  return ia - ib || pa.localeCompare(pb) || oa.localeCompare(ob);
}

/** Simulated times rank by 0.1 µs, so a float's last bits do not pick a winner. */
const round = (x: number, digits: number) => Number(x.toFixed(digits));
const bytes = (b: number) => ({ text: fmtBytes(b), value: b });
const us = (t: number) => ({ text: fmtUs(t), value: round(t, 1) });
const num = (v: number, text: (v: number) => string) => ({ text: text(v), value: v });

function markBest(cells: readonly { text: string; value?: number }[], better: Better, eligible: readonly boolean[]): CompareCell[] {
  const vals = cells.filter((_, i) => eligible[i]).map((c) => c.value).filter((v): v is number => v !== undefined);
  const distinct = new Set(vals).size;
  if (better === 'none' || vals.length < 2 || distinct < 2) return cells.map((c) => ({ ...c, best: false }));
  const best = better === 'lower' ? Math.min(...vals) : Math.max(...vals);
  return cells.map((c, i) => ({ ...c, best: eligible[i] && c.value === best }));
}

/**
 * The change from an earlier run of the same script to a later one, in words:
 * "wire −132 MiB, step −41 µs, now verified". Empty when nothing that is compared changed.
 */
export function runDelta(before: Report, after: Report): string {
  const parts: string[] = [];
  const dWire = after.traffic.totalWireBytes - before.traffic.totalWireBytes;
  if (dWire !== 0) parts.push(`wire ${sign(dWire)}${fmtBytes(Math.abs(dWire))}`);
  const dStep = round(after.timeline.stepTimeUs - before.timeline.stepTimeUs, 1);
  if (dStep !== 0) parts.push(`step ${sign(dStep)}${fmtUs(Math.abs(dStep))}`);
  const peak = (r: Report) => r.memory.perRank.reduce((m, p) => Math.max(m, p.peakBytes), 0);
  const dMem = peak(after) - peak(before);
  if (dMem !== 0) parts.push(`peak memory ${sign(dMem)}${fmtBytes(Math.abs(dMem))}`);
  const vb = verdictOf(before);
  const va = verdictOf(after);
  if (vb !== va) parts.push(`now ${va}`);
  return parts.join(', ');
}

const sign = (x: number) => (x < 0 ? '−' : '+');
