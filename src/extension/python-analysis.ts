/**
 * "AutoDist: Use Simulated torch for Python Analysis": points Pylance (and any Pyright-based
 * analysis) at AutoDist's torch — the Python package the simulator runs, shipped in dist/python
 * with type stubs (.pyi) beside its modules (scripts/python-stubs.py) — by adding that folder to
 * the workspace's `python.analysis.extraPaths`. Only when the person runs the command (or picks it
 * after "New Simulation Script"); it says what it changed and offers to undo it. Without torch
 * installed, the file's `import torch` then resolves instead of being flagged.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';

const SECTION = 'python.analysis';
const KEY = 'extraPaths';

/** The folder the stubs are in, for an extension installed at `extensionRoot`. */
export const stubsFolder = (extensionRoot: string): string => path.join(extensionRoot, 'dist', 'python');

/** Is `p` a folder an AutoDist version put there (this one's or an older install's)? */
const isOurs = (p: string, ours: string): boolean => p === ours || /[\\/](autodist[^\\/]*)[\\/]dist[\\/]python$/i.test(p);

/** extraPaths with AutoDist's folder in it (an older AutoDist's replaced), the person's own kept in order. */
export function withStubs(current: readonly string[] | undefined, ours: string): string[] {
  return [...(current ?? []).filter((p) => !isOurs(p, ours)), ours];
}

export async function usePythonStubs(extensionRoot: string): Promise<boolean> {
  const ours = stubsFolder(extensionRoot);
  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showWarningMessage('AutoDist: open a folder first: the Python analysis settings are written for the workspace.');
    return false;
  }
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const before = cfg.inspect<string[]>(KEY)?.workspaceValue;
  const next = withStubs(before, ours);
  if (before && before.length === next.length && before.every((p, i) => p === next[i])) {
    void vscode.window.showInformationMessage(`AutoDist: ${SECTION}.${KEY} of this workspace already holds AutoDist's torch (${ours}).`);
    return true;
  }
  await cfg.update(KEY, next, vscode.ConfigurationTarget.Workspace);
  const undo = 'Undo';
  void vscode.window
    .showInformationMessage(`AutoDist: added AutoDist's torch (${ours}) to ${SECTION}.${KEY} in this workspace's settings: Pylance now reads its type stubs for "import torch". A real torch installed in the interpreter is then shadowed; remove the entry to use it again.`, undo)
    .then(async (pick) => {
      if (pick === undo) await vscode.workspace.getConfiguration(SECTION).update(KEY, before, vscode.ConfigurationTarget.Workspace);
    });
  return true;
}
