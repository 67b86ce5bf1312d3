/**
 * What `activate()` returns — `vscode.extensions.getExtension('autodist.autodist').exports` — for
 * tests (the e2e suite's extension-host tests) and other extensions: where the runs stand and the
 * latest report, read-only. Runs start and stop through the commands (`autodist.simulate`,
 * `autodist.stop`, …), as a person's do. Documented in test/e2e/README.md; `apiVersion` goes up
 * when a member changes incompatibly.
 */
import type * as vscode from 'vscode';
import type { FinishedRun, RunController, RunState } from './controller.js';
import type { HintStore } from './hints/hint-store.js';
import type { ReportPanel } from './panel/panel.js';

export type { FinishedRun, RunState } from './controller.js';

export interface AutoDistApi {
  readonly apiVersion: 1;
  /** A simulation is running now. */
  readonly running: boolean;
  /** The current or latest run (script, mode, status, verdict or failure); undefined before the first. */
  readonly run: RunState | undefined;
  /** The latest finished run: its report (what `autodist simulate --json` writes) and verdict. */
  readonly last: FinishedRun | undefined;
  /** Fires `true` when a run starts, `false` when it ends. */
  readonly onDidChangeRunning: vscode.Event<boolean>;
  /** Fires once per run when it has ended — finished or failed (stopped: reason "cancelled") — with its final state. */
  readonly onDidEndRun: vscode.Event<RunState>;
  /** @internal the extension's parts, for its own tests and benchmarks; not a stable API. */
  readonly controller: RunController;
  /** @internal */
  readonly hints: HintStore;
  /** @internal */
  readonly panel: ReportPanel;
}

export function apiOf(controller: RunController, hints: HintStore, panel: ReportPanel): AutoDistApi {
  return {
    apiVersion: 1,
    get running() {
      return controller.running;
    },
    get run() {
      return controller.state;
    },
    get last() {
      return controller.last;
    },
    onDidChangeRunning: controller.onDidChangeRunning,
    onDidEndRun: controller.onDidEndRun,
    controller,
    hints,
    panel,
  };
}
