/**
 * Several runs side by side: the rows `autodist compare`, its HTML and the panel's Compare tab
 * show, a column per run, and the difference of one run against an earlier one of the same file.
 * Pure data from reports (no node, no DOM).
 */
import { basename, fmtBytes, fmtErr, fmtUs } from './format.js';
import type { Report } from './types.js';

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

export type Verdict = keyof typeof VERDICT_RANK;

export function verdictOf(r: Report): Verdict {
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

/** Totals of one op in one phase over a run. */
export interface OpPhaseTotals {
  readonly calls: number;
  readonly bytes: number;
  /** What one rank sends, summed over the ledger entries it is in. */
  readonly sentPerRank: number;
  readonly wire: number;
}

/**
 * What a comparison needs of a run, and nothing more: small enough to keep the last runs of a
 * workspace (the panel's history), where a report of a folded meta run holds millions of entries.
 */
export interface RunSummary {
  /** The script (absolute path), or the name of a run made from a plan. */
  readonly script: string;
  readonly mode: 'numeric' | 'meta';
  /** "tp=4", "dp=2 × tp=4" (axes of size 1 left out), "one rank". */
  readonly mesh: string;
  readonly verdict: Verdict;
  readonly verdictText: string;
  /** "all_reduce · forward" → totals. */
  readonly collectives: Readonly<Record<string, OpPhaseTotals>>;
  readonly totalBytes: number;
  readonly totalWire: number;
  /** 0 when the run got no step time. */
  readonly stepUs: number;
  /** Of the slowest rank. */
  readonly computeUs: number;
  readonly commUs: number;
  readonly bubble: number;
  readonly peak: { readonly bytes: number; readonly rank: number } | null;
  /** The first divergence or error, in words; null when none. */
  readonly divergence: string | null;
}

export function summarizeRun(r: Report): RunSummary {
  const collectives: Record<string, { calls: number; bytes: number; sentPerRank: number; wire: number }> = {};
  for (const c of r.collectives) {
    const n = c.multiplicity ?? 1;
    const e = (collectives[`${c.op} · ${c.phase}`] ??= { calls: 0, bytes: 0, sentPerRank: 0, wire: 0 });
    e.calls += n;
    e.bytes += c.bytes * n;
    // a rank is in one of the `n` identical groups: it sends what one member sends, once
    e.sentPerRank += c.sentBytesPerRank;
    e.wire += c.wireBytes * n;
  }
  const pr = r.timeline.perRank;
  const slow = pr.length ? pr.reduce((a, b) => (b.endUs > a.endUs ? b : a), pr[0]) : undefined;
  const m = r.memory.perRank;
  const peak = m.length ? m.reduce((a, b) => (b.peakBytes > a.peakBytes ? b : a), m[0]) : undefined;
  const d = r.verification.firstDivergence;
  const e = r.errors[0];
  const divergence = e
    ? e.source ? `${e.kind} at ${basename(e.source.file)}:${e.source.line}` : e.kind
    : d ? `${d.where} (${d.kind}, max |Δ| ${fmtErr(d.maxAbs)})${d.source ? ` at ${basename(d.source.file)}:${d.source.line}` : ''}` : null;
  return {
    script: r.script ?? 'simulation',
    mode: r.mode,
    mesh: r.mesh.axes.map((a, i) => (r.mesh.sizes[i] > 1 ? `${a}=${r.mesh.sizes[i]}` : '')).filter(Boolean).join(' × ') || 'one rank',
    verdict: verdictOf(r),
    verdictText: verdictText(r),
    collectives,
    totalBytes: r.traffic.totalBytes,
    totalWire: r.traffic.totalWireBytes,
    stepUs: r.timeline.stepTimeUs,
    computeUs: slow?.computeUs ?? 0,
    commUs: slow?.commUs ?? 0,
    bubble: r.timeline.bubbleFraction,
    peak: peak ? { bytes: peak.peakBytes, rank: peak.rank } : null,
    divergence,
  };
}

/** The rows of a comparison of reports; runs in the order given. */
export function compareReports(reports: readonly Report[]): Comparison {
  return compareRuns(reports.map(summarizeRun));
}

/** The rows of a comparison of run summaries; runs in the order given. */
export function compareRuns(runs: readonly RunSummary[]): Comparison {
  const names = runs.map((r) => basename(r.script));
  const modes = new Set(runs.map((r) => r.mode));
  const headers = names.map((n, i) => (modes.size > 1 ? `${n} (${runs[i].mode})` : n));
  const rows: CompareRow[] = [];
  // a run that is wrong is not the best at anything but its verdict: rank among the right ones
  const right = runs.map((r) => r.verdict === 'verified' || r.verdict === 'ran');
  const eligible = right.some(Boolean) ? right : runs.map(() => true);
  const row = (label: string, section: string, better: Better, cell: (r: RunSummary) => { text: string; value?: number } | undefined, sub = false) => {
    const raw = runs.map((r) => cell(r) ?? { text: '—' });
    rows.push({ label, section, sub, cells: markBest(raw, better, label === 'verdict' ? runs.map(() => true) : eligible) });
  };

  row('verdict', '', 'lower', (r) => ({ text: r.verdictText, value: VERDICT_RANK[r.verdict] }));
  row('ranks', '', 'none', (r) => ({ text: r.mesh }));

  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.collectives)))].sort(byPhaseThenOp);
  for (const k of keys) {
    row(k, 'collectives', 'none', (r) => num(r.collectives[k]?.calls ?? 0, (v) => (v ? `${v} call${v === 1 ? '' : 's'}` : 'none')));
    row('logical', 'collectives', 'none', (r) => bytes(r.collectives[k]?.bytes ?? 0), true);
    row('sent per rank', 'collectives', 'none', (r) => bytes(r.collectives[k]?.sentPerRank ?? 0), true);
    row('wire (all ranks)', 'collectives', 'lower', (r) => bytes(r.collectives[k]?.wire ?? 0), true);
  }
  row('total logical', 'collectives', 'lower', (r) => bytes(r.totalBytes));
  row('total wire', 'collectives', 'lower', (r) => bytes(r.totalWire));

  row('step', 'time', 'lower', (r) => (r.stepUs > 0 ? us(r.stepUs) : undefined));
  row('compute (slowest rank)', 'time', 'lower', (r) => (r.stepUs > 0 ? us(r.computeUs) : undefined), true);
  row('communication (slowest rank)', 'time', 'lower', (r) => (r.stepUs > 0 ? us(r.commUs) : undefined), true);
  row('bubble (idle share of the step)', 'time', 'lower', (r) => (r.stepUs > 0 ? { text: `${(100 * r.bubble).toFixed(1)} %`, value: round(r.bubble, 4) } : undefined), true);

  row('peak per rank', 'memory', 'lower', (r) => (r.peak ? { text: `${fmtBytes(r.peak.bytes)} (rank ${r.peak.rank})`, value: r.peak.bytes } : undefined));
  row('first divergence', '', 'none', (r) => ({ text: r.divergence ?? 'none' }));
  return { runs: headers, rows };
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
export function runDelta(before: RunSummary, after: RunSummary): string {
  const parts: string[] = [];
  const dWire = after.totalWire - before.totalWire;
  if (dWire !== 0) parts.push(`wire ${sign(dWire)}${fmtBytes(Math.abs(dWire))}`);
  const dStep = round(after.stepUs - before.stepUs, 1);
  if (dStep !== 0) parts.push(`step ${sign(dStep)}${fmtUs(Math.abs(dStep))}`);
  const dMem = (after.peak?.bytes ?? 0) - (before.peak?.bytes ?? 0);
  if (dMem !== 0) parts.push(`peak memory ${sign(dMem)}${fmtBytes(Math.abs(dMem))}`);
  if (before.verdict !== after.verdict) parts.push(`now ${after.verdict === 'ran' ? 'ran (not verified)' : after.verdict}`);
  return parts.join(', ');
}

/**
 * The latest run of a history (newest first) against the previous run of the same script: both
 * and the change in words; null when the script has no earlier run.
 */
export function latestChange<E extends { readonly summary: RunSummary }>(history: readonly E[]): { readonly latest: E; readonly previous: E; readonly text: string } | null {
  const latest = history[0];
  const previous = latest && history.slice(1).find((e) => e.summary.script === latest.summary.script);
  if (!latest || !previous) return null;
  return { latest, previous, text: runDelta(previous.summary, latest.summary) || 'no change in wire bytes, step time, peak memory or verdict' };
}

const sign = (x: number) => (x < 0 ? '−' : '+');
