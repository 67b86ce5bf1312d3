/** "Export Trace" and "Open Report": the last run's report written as files. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FinishedRun } from './controller.js';
import { perfettoTrace, reportHtml } from './exports.js';

async function needRun(last: FinishedRun | undefined): Promise<FinishedRun | undefined> {
  if (last) return last;
  await vscode.window.showInformationMessage('AutoDist: there is no report yet — run "AutoDist: Simulate" first.');
  return undefined;
}

const stem = (file: string): string => path.basename(file).replace(/\.(autodist\.)?([cm]?[jt]s|py)$/, '');

export async function exportTrace(lastRun: FinishedRun | undefined): Promise<vscode.Uri | undefined> {
  const last = await needRun(lastRun);
  if (!last) return undefined;
  const suggested = vscode.Uri.file(path.join(path.dirname(last.run.script), `${stem(last.run.script)}.trace.json`));
  const target = await vscode.window.showSaveDialog({ defaultUri: suggested, filters: { 'Perfetto / Chrome trace': ['json'] }, title: 'AutoDist: Export Trace' });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(perfettoTrace(last.report))));
  const reveal = 'Reveal';
  void vscode.window.showInformationMessage(`AutoDist: trace written to ${vscode.workspace.asRelativePath(target)} — open it in the Perfetto UI or chrome://tracing.`, reveal).then((p) => {
    if (p === reveal) void vscode.commands.executeCommand('revealFileInOS', target);
  });
  return target;
}

/** Writes the HTML report into the extension's storage and opens it in the default browser. */
export async function openHtmlReport(lastRun: FinishedRun | undefined, storage: vscode.Uri): Promise<vscode.Uri | undefined> {
  const last = await needRun(lastRun);
  if (!last) return undefined;
  await vscode.workspace.fs.createDirectory(storage);
  const target = vscode.Uri.joinPath(storage, `${stem(last.run.script)}.report.html`);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(reportHtml(last.report)));
  await vscode.env.openExternal(target);
  return target;
}
