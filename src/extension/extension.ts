/**
 * AutoDist for VS Code: the only code that imports `vscode`. `activate` builds the parts and
 * registers everything into `context.subscriptions`; the command ids live in ids.ts.
 *
 * Activation is lazy: on the commands (implicit since VS Code 1.74), on a restored panel, and in
 * workspaces that hold AutoDist scripts — recognised by `autodist.d.ts` (written by `autodist init`
 * and "New Simulation Script") or by the `*.autodist.ts` / `*.autodist.py` naming convention; "a
 * file that imports autodist" or "a .py file with a `# autodist:` line" cannot be expressed as an
 * activation event (workspaceContains takes a glob), and activating on every Python workspace is
 * not wanted. The simulation runs in a worker thread, only in trusted workspaces, and nothing here
 * touches the network.
 */
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { apiOf, type AutoDistApi } from './api.js';
import { RunController } from './controller.js';
import { ProblemsReporter } from './diagnostics.js';
import { exportTrace, openHtmlReport } from './file-commands.js';
import { HintStore } from './hints/hint-store.js';
import { AutoDistCodeLens, AutoDistHover, AutoDistInlayHints } from './hints/providers.js';
import { COMMANDS, CONFIG_SECTION, CONTEXT, PANEL_VIEW_TYPE, SCRIPT_LANGUAGES } from './ids.js';
import { ReportPanel } from './panel/panel.js';
import type * as PlanCommand from './plan-command.js';
import { newScript } from './scaffold.js';
import { chooseNproc, fileOverrides } from './nproc.js';
import { usePythonStubs } from './python-analysis.js';
import { chooseScript, isPythonFile, isScriptDocument } from './scripts.js';
import { readSettings, type SettingKey } from './settings.js';
import { runInWorker } from '../runner/run-in-worker.js';
import { memoryStore, RunHistory } from './run-history.js';
import { StatusItem } from './status.js';
import { WorkerRunner } from './worker-runner.js';
import type { PanelCommand } from '../protocol.js';
import type { SimulationRunner } from './runner.js';

const readDisk = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

export function activate(context: vscode.ExtensionContext, runner: SimulationRunner = new WorkerRunner()): AutoDistApi {
  const sub = (...d: vscode.Disposable[]) => context.subscriptions.push(...d);
  const log = vscode.window.createOutputChannel('AutoDist', { log: true });
  const plans = vscode.window.createOutputChannel('AutoDist Plans');
  const hints = new HintStore(readDisk);
  const problems = new ProblemsReporter(readDisk);
  const status = new StatusItem();
  sub(log, plans, hints, problems, status);
  if (runner instanceof WorkerRunner) sub(runner); // its idle Python worker ends with the extension

  // the workspace's last runs (the Compare tab), kept across reloads in the workspace's storage
  const history = new RunHistory(context.workspaceState ?? memoryStore());
  const keyOfRun = new Map<number, string>(); // this session's run ids → their history keys
  const postHistory = (select?: readonly string[]) => panel.post({ type: 'history', runs: history.entries(), ...(select ? { select } : {}) });

  // the panel and the controller need each other: the panel's handlers go through `controller`
  let controller: RunController;
  const panel = new ReportPanel(context.extensionUri, {
    openSource: (file, line, column) => openSource(controller, hints, file, line, column),
    command: async (c: PanelCommand) => {
      const script = controller.script;
      const arg = (c === 'rerun' || c === 'rerunMeta') && script ? vscode.Uri.file(script) : undefined;
      await vscode.commands.executeCommand(PANEL_COMMAND_IDS[c], arg);
    },
    replay: (runId) => [...controller.replay(runId), { type: 'history', runs: history.entries() }],
  });
  controller = new RunController({
    runner,
    panel,
    hints,
    problems,
    status,
    settings: () => {
      const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
      return readSettings((k: SettingKey) => cfg.get(k));
    },
    log: (l) => log.info(l),
    printed: (l, stream) => (stream === 'stderr' ? log.warn(l) : log.info(l)),
  });
  sub(panel, controller);
  sub(
    controller.onDidEndRun((st) => {
      const last = controller.last;
      if (st.status !== 'finished' || last?.run.id !== st.id) return;
      void history.add(last.run.name, last.report).then((e) => {
        keyOfRun.set(st.id, e.key);
        postHistory();
      });
    }),
  );
  /** Shows history entries side by side in the Compare tab. */
  const showCompare = (keys: readonly string[]) => {
    panel.show(false);
    postHistory(keys);
    panel.post({ type: 'showTab', tab: 'compare' });
  };
  sub(controller.onDidChangeRunning((r) => void vscode.commands.executeCommand('setContext', CONTEXT.running, r)));

  const simulate = (mode: 'numeric' | 'meta') => async (arg?: unknown) => {
    if (!vscode.workspace.isTrusted) {
      const manage = 'Manage Workspace Trust';
      const pick = await vscode.window.showWarningMessage('AutoDist runs scripts only in trusted workspaces: simulating a script executes its code.', manage);
      if (pick === manage) await vscode.commands.executeCommand('workbench.trust.manage');
      return;
    }
    const uri = await chooseScript(arg);
    if (!uri) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) await doc.save();
    let overrides = {};
    let runMode = mode;
    if (isPythonFile(uri.fsPath)) {
      // a PyTorch file: its `# autodist:` flags, and how many processes (that line, the setting, or ask)
      const text = doc?.getText() ?? readDisk(uri.fsPath) ?? '';
      const setting = readSettings((k: SettingKey) => vscode.workspace.getConfiguration(CONFIG_SECTION).get(k)).settings.nprocPerNode;
      const n = await chooseNproc(uri.fsPath, text, setting, context.workspaceState);
      if (!n) return;
      const own = fileOverrides(uri.fsPath, text);
      for (const note of own.notes) void vscode.window.showWarningMessage(`AutoDist: ${note}`);
      if (own.meta) runMode = 'meta';
      log.info(`${vscode.workspace.asRelativePath(uri, false)}: ${n.n} processes (${NPROC_FROM[n.from]})${Object.keys(own.overrides).length ? `, from its "# autodist:" line ${JSON.stringify(own.overrides)}` : ''}`);
      overrides = { ...own.overrides, nprocPerNode: n.n };
    }
    const done = await controller.simulate(uri, runMode, overrides);
    if (done) void vscode.commands.executeCommand('setContext', CONTEXT.hasReport, true);
  };

  sub(
    vscode.commands.registerCommand(COMMANDS.simulate, simulate('numeric')),
    vscode.commands.registerCommand(COMMANDS.simulateMeta, simulate('meta')),
    vscode.commands.registerCommand(COMMANDS.stop, () => {
      if (!controller.stop()) void vscode.window.showInformationMessage('AutoDist: no simulation is running.');
    }),
    vscode.commands.registerCommand(COMMANDS.newScript, () => newScript()),
    vscode.commands.registerCommand(COMMANDS.usePythonStubs, () => usePythonStubs(context.extensionUri.fsPath)),
    vscode.commands.registerCommand(COMMANDS.exportTrace, () => exportTrace(controller.last)),
    vscode.commands.registerCommand(COMMANDS.openReport, () => openHtmlReport(controller.last, context.globalStorageUri)),
    vscode.commands.registerCommand(COMMANDS.showPanel, () => panel.show(false)),
    vscode.commands.registerCommand(COMMANDS.compareScripts, async (arg?: unknown) => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('AutoDist runs scripts only in trusted workspaces: simulating a script executes its code.');
        return;
      }
      const uris = Array.isArray(arg) && arg.every((u) => u instanceof vscode.Uri)
        ? (arg as vscode.Uri[])
        : await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: 'Compare', title: 'AutoDist: scripts to compare side by side', filters: { 'AutoDist scripts': ['ts', 'js', 'py'] } });
      if (!uris?.length) return;
      const keys: string[] = [];
      for (const uri of uris) {
        const done = await controller.simulate(uri, 'numeric'); // one after another, each into the history
        if (!done) break; // stopped or crashed: compare what ran
        await history.settled;
        const key = keyOfRun.get(done.run.id);
        if (key) keys.push(key);
      }
      if (keys.length) showCompare(keys);
    }),
    vscode.commands.registerCommand(COMMANDS.plan, () =>
      loadPlanCommand().planParallelism({
        compare: async (runs) => {
          const keys: string[] = [];
          for (const r of runs) keys.push((await history.add(r.name, r.report)).key);
          showCompare(keys);
        },
        channel: plans,
        showReport: (name, report) => {
          controller.showReport(name, report, 'meta');
          void vscode.commands.executeCommand('setContext', CONTEXT.hasReport, true);
        },
        // the simulation runs in a worker thread, never on the extension host's event loop
        simulate: (name, job) => runInWorker(name, { plan: job, timeoutS: readSettings((k: SettingKey) => vscode.workspace.getConfiguration(CONFIG_SECTION).get(k)).settings.timeLimitS }).result,
      }),
    ),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (p) => panel.restore(p),
    }),
  );

  const markScript = (e: vscode.TextEditor | undefined) => void vscode.commands.executeCommand('setContext', CONTEXT.activeIsScript, !!e && isScriptDocument(e.document));
  markScript(vscode.window.activeTextEditor);
  sub(vscode.window.onDidChangeActiveTextEditor(markScript));

  const selector: vscode.DocumentSelector = SCRIPT_LANGUAGES.map((language) => ({ language, scheme: 'file' }));
  sub(
    vscode.languages.registerInlayHintsProvider(selector, new AutoDistInlayHints(hints)),
    vscode.languages.registerHoverProvider(selector, new AutoDistHover(hints)),
    vscode.languages.registerCodeLensProvider(selector, new AutoDistCodeLens(hints)),
  );
  return apiOf(controller, hints, panel);
}

export type { AutoDistApi } from './api.js';

export function deactivate(): void {
  // everything is in context.subscriptions
}

const NPROC_FROM: Readonly<Record<import('./nproc.js').NprocSource, string>> = {
  file: 'the file\'s "# autodist:" line',
  setting: 'the setting autodist.nprocPerNode',
  remembered: 'picked earlier for this file',
  picked: 'picked now; remembered for this file',
};

/** The panel's toolbar buttons, as commands. */
const PANEL_COMMAND_IDS: Readonly<Record<PanelCommand, string>> = {
  rerun: COMMANDS.simulate,
  rerunMeta: COMMANDS.simulateMeta,
  stop: COMMANDS.stop,
  exportTrace: COMMANDS.exportTrace,
  openHtmlReport: COMMANDS.openReport,
  compareScripts: COMMANDS.compareScripts,
};

/** Opens a file the run pointed at, at the line where that code is now. */
export async function openSource(controller: RunController, hints: HintStore, file: string, line: number, column: number | undefined): Promise<void> {
  if (!controller.knows(file)) return; // the page may only open files of the run
  const now = hints.currentLine(file, line) ?? line - 1;
  const col = Math.max(0, (column ?? 1) - 1);
  const pos = new vscode.Position(now, col);
  await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos), preserveFocus: false });
}

/**
 * The planner (and the models and TensorFlow.js it reaches) loads only when "Plan Parallelism"
 * runs: a separate bundle (dist/plan-command.js), required by a computed name so the bundler
 * leaves it out of extension.js and activation stays fast.
 */
function loadPlanCommand(): typeof PlanCommand {
  const name = './plan-command.js';
  return require(name) as typeof PlanCommand;
}
