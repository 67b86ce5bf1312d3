/**
 * One simulation at a time: starts the runner on a script, shows its progress (a cancellable
 * notification, the status bar), streams it into the panel, and when the report arrives puts it
 * everywhere: panel, inline hints, Problems, status bar. Remembers the session so a panel that
 * (re)opens can be brought up to date.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostMessage, LiveEvent, RunFailure, RunInfo, RunStage, Verdict } from '../protocol.js';
import type { Report } from '../report/types.js';
import type { ProblemsReporter } from './diagnostics.js';
import type { HintStore } from './hints/hint-store.js';
import { LiveBatcher, meshInfo } from './live.js';
import { fileKey, reportFiles } from './paths.js';
import { RankOutput } from './rank-output.js';
import { RunAborted, type RunHandle, type SimulationRunner } from './runner.js';
import type { RunSettings } from './settings.js';
import type { StatusItem } from './status.js';
import { verdictOf } from './verdict.js';

/** Where the panel's messages go (the ReportPanel; a fake in tests). */
export interface PanelSink {
  show(preserveFocus?: boolean): void;
  post(msg: HostMessage): void;
  setTitle(title: string): void;
}

export interface ControllerDeps {
  readonly runner: SimulationRunner;
  readonly panel: PanelSink;
  readonly hints: HintStore;
  readonly problems: ProblemsReporter;
  readonly status: StatusItem;
  readonly settings: () => { readonly settings: RunSettings; readonly problems: readonly string[] };
  readonly log?: (line: string) => void;
  /** A line a Python rank printed, "[rank0]: …" (the "AutoDist" output channel). */
  readonly printed?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface FinishedRun {
  readonly run: RunInfo;
  readonly report: Report;
  readonly verdict: Verdict;
}

/** Where a run stands: running, finished (with its verdict) or failed (stopped, time limit, crash). */
export interface RunState extends RunInfo {
  readonly status: 'running' | 'finished' | 'failed';
  /** Once finished. */
  readonly verdict?: Verdict;
  /** Once failed: why ("cancelled" when stopped) and the message shown. */
  readonly failure?: { readonly reason: RunFailure; readonly message: string };
}

interface Session {
  readonly run: RunInfo;
  status: 'running' | 'finished' | 'failed';
  readonly live: LiveEvent[];
  readonly files: Set<string>;
  handle?: RunHandle;
  report?: Report;
  verdict?: Verdict;
  failure?: { readonly reason: RunFailure; readonly message: string };
}

/** Overall percent of a run from its stage and the stage's own percent. */
export function overallPercent(stage: RunStage, percent: number, mode: 'numeric' | 'meta'): number {
  const spans: Readonly<Record<RunStage, readonly [number, number]>> =
    mode === 'meta'
      ? { load: [0, 10], reference: [10, 10], sharded: [10, 95], verify: [95, 99], done: [100, 100] }
      : { load: [0, 5], reference: [5, 30], sharded: [30, 85], verify: [85, 99], done: [100, 100] };
  const [a, b] = spans[stage];
  return a + ((b - a) * Math.max(0, Math.min(100, percent))) / 100;
}

export class RunController implements vscode.Disposable {
  private session: Session | undefined;
  private nextId = 1;
  private readonly changed = new vscode.EventEmitter<boolean>();
  /** Fires with `true` when a run starts and `false` when it ends. */
  readonly onDidChangeRunning = this.changed.event;
  private readonly ended = new vscode.EventEmitter<RunState>();
  /** Fires once per run, when it has finished or failed, with its final state. */
  readonly onDidEndRun = this.ended.event;

  constructor(private readonly deps: ControllerDeps) {}

  get running(): boolean {
    return this.session?.status === 'running';
  }

  /** The last finished run (the one the hints, the trace export and the HTML report use). */
  get last(): FinishedRun | undefined {
    const s = this.session;
    return s?.report && s.verdict ? { run: s.run, report: s.report, verdict: s.verdict } : this.previous;
  }
  private previous: FinishedRun | undefined;

  /** The current or latest run and where it stands; undefined before the first. */
  get state(): RunState | undefined {
    const s = this.session;
    return s && stateOf(s);
  }

  /** The script of the current (or last) run. */
  get script(): string | undefined {
    return this.session?.run.script ?? this.previous?.run.script;
  }

  /** Runs `script` (with `overrides` of the settings: a Python file's process count); resolves when the run has ended (whichever way). */
  async simulate(script: vscode.Uri, mode: 'numeric' | 'meta', overrides: Partial<RunSettings> = {}): Promise<FinishedRun | undefined> {
    if (this.running) this.stop();
    const read = this.deps.settings();
    const problems = read.problems;
    const settings: RunSettings = { ...read.settings, ...overrides };
    for (const p of problems) void vscode.window.showWarningMessage(`AutoDist: ${p}`);
    const file = script.fsPath;
    const name = vscode.workspace.asRelativePath(script, false);
    const run: RunInfo = { id: this.nextId++, script: file, name, mode, startedAt: Date.now() };
    const s: Session = { run, status: 'running', live: [], files: new Set([fileKey(file)]) };
    this.session = s;
    this.changed.fire(true);
    const { panel, status } = this.deps;
    panel.setTitle(`AutoDist — ${path.basename(file)}`);
    panel.show(true);
    panel.post({ type: 'runStarted', run });
    status.running(name, 0);
    this.deps.log?.(`simulating ${file} (${mode}, ${settings.backend}, ${settings.hardware}${settings.mesh ? `, mesh ${JSON.stringify(settings.mesh)}` : ''}${settings.nprocPerNode !== undefined ? `, ${settings.nprocPerNode} processes` : ''})`);
    const printed = new RankOutput((line, stream) => this.deps.printed?.(line, stream));

    const batcher = new LiveBatcher((events) => {
      for (const e of events) {
        s.live.push(e);
        const src = e.kind === 'collective' ? e.collective.source : e.kind === 'span' ? e.span.source : undefined;
        if (src) s.files.add(fileKey(src.file));
      }
      if (this.session === s) panel.post({ type: 'runEvents', runId: run.id, events });
    });

    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `AutoDist: simulating ${path.basename(file)}`, cancellable: true },
        async (progress, token) => {
          let shown = 0;
          const handle = this.deps.runner.start(
            { script: file, mode, settings },
            {
              onStarted: (info) => batcher.push({ kind: 'loaded', mesh: meshInfo(info.mesh), model: info.model?.name, layers: info.model?.layers }),
              onEvent: (e) => {
                if (e.type === 'output') return printed.push(e.rank, e.stream, e.text);
                batcher.push(e);
                if (e.type === 'progress') {
                  const pct = overallPercent(e.stage, e.percent, mode);
                  if (pct > shown) {
                    progress.report({ message: e.message, increment: pct - shown });
                    shown = pct;
                  }
                  status.running(name, pct);
                }
              },
            },
          );
          s.handle = handle;
          token.onCancellationRequested(() => handle.cancel());
          return handle.result;
        },
      );
      printed.flush();
      batcher.flush();
      return this.finish(s, report);
    } catch (e) {
      printed.flush();
      batcher.flush();
      this.fail(s, e);
      return undefined;
    } finally {
      batcher.dispose();
      s.handle = undefined;
      this.changed.fire(false);
    }
  }

  /**
   * Shows a report made outside the runner (the meta simulation of a planned layout) as a finished
   * run called `name`: panel, hints, Problems and status bar, as a script's run.
   */
  showReport(name: string, report: Report, mode: 'numeric' | 'meta' = 'meta'): FinishedRun {
    if (this.running) this.stop();
    const run: RunInfo = { id: this.nextId++, script: name, name, mode, startedAt: Date.now() };
    const s: Session = { run, status: 'running', live: [], files: new Set() };
    this.session = s;
    const { panel } = this.deps;
    panel.setTitle(`AutoDist — ${name}`);
    panel.show(true);
    panel.post({ type: 'runStarted', run });
    return this.finish(s, report);
  }

  /** Stops the running simulation; false when none runs. */
  stop(): boolean {
    const s = this.session;
    if (s?.status !== 'running' || !s.handle) return false;
    s.handle.cancel();
    return true;
  }

  private finish(s: Session, report: Report): FinishedRun {
    const verdict = verdictOf(report);
    s.status = 'finished';
    s.report = report;
    s.verdict = verdict;
    for (const f of reportFiles(report)) s.files.add(f);
    const done: FinishedRun = { run: s.run, report, verdict };
    this.previous = done;
    this.ended.fire(stateOf(s));
    if (this.session !== s) return done;
    this.deps.hints.set(report, verdict);
    this.deps.problems.set(report);
    this.deps.status.verdict(s.run.name, verdict);
    this.deps.panel.post({ type: 'runFinished', run: s.run, report, verdict });
    this.deps.log?.(`${s.run.name}: ${verdict.text} (${Math.round(report.wallMs)} ms)`);
    if (verdict.status === 'failed' || verdict.status === 'diverged') {
      void vscode.window.showWarningMessage(`AutoDist: ${verdict.text}`, 'Show Panel').then((pick) => pick && this.deps.panel.show(false));
    }
    return done;
  }

  private fail(s: Session, e: unknown): void {
    const reason: RunFailure = e instanceof RunAborted ? e.reason : 'crashed';
    const message = e instanceof Error ? e.message : String(e);
    s.status = 'failed';
    s.failure = { reason, message };
    this.ended.fire(stateOf(s));
    if (this.session !== s) return;
    this.deps.panel.post({ type: 'runFailed', runId: s.run.id, reason, message });
    this.deps.status.stopped(s.run.name, message);
    this.deps.log?.(`${s.run.name}: ${reason}: ${message}`);
    if (reason !== 'cancelled') void vscode.window.showErrorMessage(`AutoDist: ${message}`);
  }

  /** What a panel page that shows run `runId` (null: none) needs to show the current session. */
  replay(runId: number | null): HostMessage[] {
    const s = this.session;
    if (!s) {
      const p = this.previous;
      return p && p.run.id !== runId ? [{ type: 'runFinished', run: p.run, report: p.report, verdict: p.verdict }] : [];
    }
    if (s.status === 'finished' && s.report && s.verdict) return s.run.id === runId ? [] : [{ type: 'runFinished', run: s.run, report: s.report, verdict: s.verdict }];
    const out: HostMessage[] = [{ type: 'runStarted', run: s.run }];
    if (s.live.length) out.push({ type: 'runEvents', runId: s.run.id, events: [...s.live] });
    if (s.status === 'failed' && s.failure) out.push({ type: 'runFailed', runId: s.run.id, reason: s.failure.reason, message: s.failure.message });
    return out;
  }

  /** May the panel open this file? Only the script and the files its run pointed at. */
  knows(file: string): boolean {
    const k = fileKey(file);
    return !!this.session?.files.has(k) || (!!this.previous && reportFiles(this.previous.report).has(k));
  }

  dispose(): void {
    this.stop();
    this.changed.dispose();
    this.ended.dispose();
  }
}

function stateOf(s: Session): RunState {
  return { ...s.run, status: s.status, ...(s.verdict ? { verdict: s.verdict } : {}), ...(s.failure ? { failure: s.failure } : {}) };
}
