/**
 * The panel's state: what it shows, built from the host's messages, and saved with setState so a
 * hidden-then-shown (or reloaded) panel comes back as it was. No DOM here (tests run it in Node).
 */
import { assertNever, TABS, type HistoryEntry, type HostMessage, type LiveEvent, type RankState, type RunFailure, type RunInfo, type RunStage, type TabId, type Verdict } from '../src/protocol.js';
import type { CollectiveInfo, MeshInfo, Report, ReportError, TimelineEvent, TrafficSummary } from '../src/report/types.js';
import { summarizeTraffic } from '../src/report/traffic-summary.js';

export const STATE_VERSION = 1;
/** Spans kept while a run streams (the report brings the whole timeline). */
export const MAX_LIVE_SPANS = 20_000;

export interface LiveData {
  mesh: MeshInfo | null;
  model: string | null;
  layers: readonly string[];
  collectives: CollectiveInfo[];
  spans: TimelineEvent[];
  ranks: (RankState | null)[];
  errors: ReportError[];
  /** What the run has recorded, once it streams no more collectives or spans one by one (absent in states saved before). */
  tally?: { readonly collectives: number; readonly events: number } | null;
}

export interface UiState {
  tab: TabId;
  shardFilter: string;
  ledgerFilter: string;
  /** The timeline's visible window (null: fit the whole run). */
  window: { readonly startUs: number; readonly endUs: number } | null;
  /** The history entries the Compare tab shows side by side (null: the two latest). */
  compare?: readonly string[] | null;
}

export interface PanelState {
  readonly v: number;
  run: RunInfo | null;
  phase: 'empty' | 'running' | 'finished' | 'failed';
  progress: { readonly stage: RunStage; readonly percent: number; readonly message: string } | null;
  failure: { readonly reason: RunFailure; readonly message: string } | null;
  live: LiveData;
  report: Report | null;
  verdict: Verdict | null;
  ui: UiState;
  /** The workspace's last runs, newest first (the host's history; absent in states saved before). */
  history?: readonly HistoryEntry[];
  /** Bumped on every change of what is shown (views redraw when it moves). */
  rev: number;
}

const emptyLive = (): LiveData => ({ mesh: null, model: null, layers: [], collectives: [], spans: [], ranks: [], errors: [], tally: null });

export function initialState(): PanelState {
  return { v: STATE_VERSION, run: null, phase: 'empty', progress: null, failure: null, live: emptyLive(), report: null, verdict: null, ui: { tab: 'overview', shardFilter: '', ledgerFilter: '', window: null }, rev: 0 };
}

/** A saved state, if it is one this version can show. */
export function restoreState(saved: unknown): PanelState {
  const s = saved as Partial<PanelState> | undefined;
  if (!s || s.v !== STATE_VERSION || !s.ui || !s.live) return initialState();
  const tab = (TABS as readonly string[]).includes(s.ui.tab) ? s.ui.tab : 'overview';
  return { ...initialState(), ...s, ui: { ...s.ui, tab }, rev: (s.rev ?? 0) + 1 } as PanelState;
}

function applyLive(s: PanelState, e: LiveEvent): void {
  const l = s.live;
  switch (e.kind) {
    case 'loaded':
      l.mesh = e.mesh;
      l.model = e.model ?? null;
      l.layers = e.layers ?? [];
      return;
    case 'collective':
      l.collectives.push(e.collective);
      return;
    case 'span':
      if (l.spans.length < MAX_LIVE_SPANS) l.spans.push(e.span);
      return;
    case 'rank':
      l.ranks[e.rank] = e.state;
      return;
    case 'error':
      l.errors.push(e.error);
      return;
    case 'progress':
      s.progress = { stage: e.stage, percent: e.percent, message: e.message };
      return;
    case 'tally':
      l.tally = { collectives: e.collectives, events: e.events };
      return;
    default:
      assertNever(e);
  }
}

/** Applies a host message (in place; returns the state for chaining). */
export function apply(s: PanelState, m: HostMessage): PanelState {
  switch (m.type) {
    case 'runStarted':
      s.run = m.run;
      s.phase = 'running';
      s.progress = { stage: 'load', percent: 0, message: `starting ${m.run.name}` };
      s.failure = null;
      s.live = emptyLive();
      s.report = null;
      s.verdict = null;
      s.ui = { ...s.ui, window: null };
      break;
    case 'runEvents':
      if (s.run?.id !== m.runId || s.phase !== 'running') return s;
      for (const e of m.events) applyLive(s, e);
      break;
    case 'runFinished':
      if (s.run?.id !== m.run.id) s.ui = { ...s.ui, window: null };
      s.run = m.run;
      s.phase = 'finished';
      s.progress = null;
      s.failure = null;
      s.report = m.report;
      s.verdict = m.verdict;
      s.live = emptyLive(); // the report replaces the live view
      break;
    case 'runFailed':
      if (s.run?.id !== m.runId) return s;
      s.phase = 'failed';
      s.failure = { reason: m.reason, message: m.message };
      s.progress = null;
      break;
    case 'showTab':
      s.ui = { ...s.ui, tab: m.tab };
      break;
    case 'history':
      s.history = m.runs;
      if (m.select) s.ui = { ...s.ui, compare: m.select };
      break;
    default:
      assertNever(m);
  }
  s.rev++;
  return s;
}

// ---- what the views show: the report when there is one, the live data while a run streams

export const meshOf = (s: PanelState): MeshInfo | null => (s.report && s.report.mesh.worldSize > 0 ? s.report.mesh : s.live.mesh);
export const collectivesOf = (s: PanelState): readonly CollectiveInfo[] => s.report?.collectives ?? s.live.collectives;
export const spansOf = (s: PanelState): readonly TimelineEvent[] => s.report?.timeline.events ?? s.live.spans;
export const errorsOf = (s: PanelState): readonly ReportError[] => s.report?.errors ?? s.live.errors;

/** While a run streams past its limits: how many collectives it has recorded (more than the panel holds live); else null. */
export function recordedCollectives(s: PanelState): number | null {
  const t = s.report ? null : s.live.tally;
  return t && t.collectives > s.live.collectives.length ? t.collectives : null;
}

/** Traffic totals: the report's, or summed from the collectives streamed so far. */
export function trafficOf(s: PanelState): TrafficSummary {
  if (s.report) return s.report.traffic;
  return summarize(s.live.collectives, meshOf(s)?.worldSize ?? 0);
}

/** Traffic totals of the collectives streamed so far (the report's are exact, with folded ranks filled in). */
export const summarize = (cs: readonly CollectiveInfo[], world: number): TrafficSummary => summarizeTraffic(cs, world);
