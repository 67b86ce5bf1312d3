/**
 * The messages between the extension host and the AutoDist panel (webview), both ways: one
 * discriminated union per direction, imported by `src/extension/` and by `webview/`, so that a
 * change to a message breaks the build on both sides. Messages are plain JSON (they cross
 * `postMessage`); lines are 1-based, as in the report.
 */
import type { RunSummary } from './report/compare.js';
import type { CollectiveInfo, MeshInfo, Report, ReportError, TimelineEvent } from './report/types.js';

export const PROTOCOL_VERSION = 1;

/** The panel's tabs, in the order they are shown. */
export const TABS = ['overview', 'stages', 'shards', 'traffic', 'timeline', 'verification', 'compare'] as const;
export type TabId = (typeof TABS)[number];

export type RankState = 'running' | 'blocked' | 'done' | 'failed';
/** 'load' reads and evaluates the script; then the unsharded reference, the sharded run, the comparison. */
export type RunStage = 'load' | 'reference' | 'sharded' | 'verify' | 'done';

/** One thing that happened while a run goes, as the panel draws it live. */
export type LiveEvent =
  /** The script is loaded: the mesh the run uses, the model and its layers. */
  | { readonly kind: 'loaded'; readonly mesh: MeshInfo; readonly model?: string; readonly layers?: readonly string[] }
  | { readonly kind: 'collective'; readonly collective: CollectiveInfo }
  | { readonly kind: 'span'; readonly span: TimelineEvent }
  /** How many collectives and timeline events the run has recorded, once it streams no more of them one by one. */
  | { readonly kind: 'tally'; readonly collectives: number; readonly events: number }
  | { readonly kind: 'rank'; readonly rank: number; readonly state: RankState }
  | { readonly kind: 'error'; readonly error: ReportError }
  | { readonly kind: 'progress'; readonly stage: RunStage; readonly percent: number; readonly message: string };

/** Which run a message belongs to. */
export interface RunInfo {
  readonly id: number;
  /** Absolute path of the script. */
  readonly script: string;
  /** What to call it (workspace-relative path). */
  readonly name: string;
  readonly mode: 'numeric' | 'meta';
  /** Epoch ms. */
  readonly startedAt: number;
}

/** The one-line result of a run, computed once by the host (status bar, CodeLens and panel agree). */
export interface Verdict {
  readonly status: 'verified' | 'shapes-only' | 'diverged' | 'failed';
  /** e.g. "verified: max |Δ| 3e-7 (out), 2e-6 (grads)" */
  readonly text: string;
}

export type RunFailure = 'cancelled' | 'timeout' | 'memory' | 'crashed';

/** One finished run of the workspace, as the history keeps it (newest first). */
export interface HistoryEntry {
  /** Unique over the workspace's history (the run id restarts with each session). */
  readonly key: string;
  /** Workspace-relative path of the script, or the name of a planned layout. */
  readonly name: string;
  /** Epoch ms. */
  readonly finishedAt: number;
  readonly summary: RunSummary;
}

/** Host → webview. */
export type HostMessage =
  /** The workspace's last runs, newest first; `select` lists the keys the Compare tab should show. */
  | { readonly type: 'history'; readonly runs: readonly HistoryEntry[]; readonly select?: readonly string[] }
  | { readonly type: 'runStarted'; readonly run: RunInfo }
  | { readonly type: 'runEvents'; readonly runId: number; readonly events: readonly LiveEvent[] }
  | { readonly type: 'runFinished'; readonly run: RunInfo; readonly report: Report; readonly verdict: Verdict }
  | { readonly type: 'runFailed'; readonly runId: number; readonly reason: RunFailure; readonly message: string }
  | { readonly type: 'showTab'; readonly tab: TabId };

/** Commands the panel's toolbar asks the host to run. */
export const PANEL_COMMANDS = ['rerun', 'rerunMeta', 'stop', 'exportTrace', 'openHtmlReport', 'compareScripts'] as const;
export type PanelCommand = (typeof PANEL_COMMANDS)[number];

/** Webview → host. */
export type WebviewMessage =
  /** The page has loaded; `runId` is the run it restored from its saved state (null: none). */
  | { readonly type: 'ready'; readonly runId: number | null }
  /** Open the person's file at a line (a ledger row, a divergence, an error site was clicked). */
  | { readonly type: 'openSource'; readonly file: string; readonly line: number; readonly column?: number }
  | { readonly type: 'command'; readonly command: PanelCommand };

export type HostMessageType = HostMessage['type'];
export type WebviewMessageType = WebviewMessage['type'];

/** For exhaustive switches over a union: a new member makes the call site fail to compile. */
export function assertNever(x: never): never {
  throw new Error(`unhandled message ${JSON.stringify(x)}`);
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/**
 * Checks what the webview sent before the host acts on it (the page is less trusted than the
 * host: it must not make the host open arbitrary things).
 */
export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (!isObj(x)) return false;
  const m = x as { type?: unknown } & Record<string, unknown>;
  switch (m.type as WebviewMessageType) {
    case 'ready':
      return m.runId === null || isInt(m.runId);
    case 'openSource':
      return typeof m.file === 'string' && m.file.length > 0 && isInt(m.line) && m.line >= 1 && (m.column === undefined || isInt(m.column));
    case 'command':
      return (PANEL_COMMANDS as readonly unknown[]).includes(m.command);
    default:
      return false;
  }
}

/** Checks what the host sent (the panel ignores anything else). */
export function isHostMessage(x: unknown): x is HostMessage {
  if (!isObj(x)) return false;
  const m = x as { type?: unknown } & Record<string, unknown>;
  switch (m.type as HostMessageType) {
    case 'runStarted':
      return isObj(m.run) && isInt(m.run.id);
    case 'runEvents':
      return isInt(m.runId) && Array.isArray(m.events);
    case 'runFinished':
      return isObj(m.run) && isObj(m.report) && isObj(m.verdict);
    case 'runFailed':
      return isInt(m.runId) && typeof m.message === 'string';
    case 'showTab':
      return (TABS as readonly unknown[]).includes(m.tab);
    case 'history':
      return Array.isArray(m.runs) && (m.select === undefined || Array.isArray(m.select));
    default:
      return false;
  }
}
