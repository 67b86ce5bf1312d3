/** Which file to simulate: the one given, the active editor's script, or one picked from the workspace. */
import * as vscode from 'vscode';
import { COMMANDS, PYTHON_SCRIPT, SCRIPT_EXCLUDE, SCRIPT_GLOB, SCRIPT_IMPORT } from './ids.js';

/** A Python file, as the runner tells them apart (by the `.py` name). */
export const isPythonFile = (file: string): boolean => file.endsWith('.py');

/** Is this text a script? A `.py` file is when it uses torch; others when they import AutoDist. */
export const isScriptText = (text: string, file = ''): boolean => (isPythonFile(file) ? PYTHON_SCRIPT.test(text) : SCRIPT_IMPORT.test(text));

/** Is this open document a script AutoDist can simulate (a file on disk, a script by its text)? The runner knows Python by the `.py` name. */
export const isScriptDocument = (doc: { readonly uri: { readonly scheme: string; readonly fsPath: string }; getText(): string }): boolean =>
  doc.uri.scheme === 'file' && isScriptText(doc.getText(), doc.uri.fsPath);

const MAX_CANDIDATES = 2000;
const MAX_SCRIPT_BYTES = 1 << 20;

/** Files in the workspace whose text imports AutoDist. */
export async function findScripts(token?: vscode.CancellationToken): Promise<vscode.Uri[]> {
  const files = await vscode.workspace.findFiles(SCRIPT_GLOB, SCRIPT_EXCLUDE, MAX_CANDIDATES, token);
  const out: vscode.Uri[] = [];
  const decoder = new TextDecoder();
  await Promise.all(
    files.map(async (uri) => {
      try {
        const bytes = await vscode.workspace.fs.readFile(uri);
        if (bytes.byteLength <= MAX_SCRIPT_BYTES && isScriptText(decoder.decode(bytes), uri.fsPath)) out.push(uri);
      } catch {
        /* unreadable: not a candidate */
      }
    }),
  );
  return out.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

/** The script to run: `given`, else the active editor's if it imports AutoDist, else a quick pick. */
export async function chooseScript(given: unknown): Promise<vscode.Uri | undefined> {
  if (given instanceof vscode.Uri) return given;
  const active = vscode.window.activeTextEditor?.document;
  if (active && isScriptDocument(active)) return active.uri;
  const scripts = await findScripts();
  if (!scripts.length) {
    const create = 'New Simulation Script';
    const pick = await vscode.window.showInformationMessage('No AutoDist script here: a script is a .ts or .js file that imports from "autodist", or a .py file that uses torch.', create);
    if (pick === create) await vscode.commands.executeCommand(COMMANDS.newScript);
    return undefined;
  }
  if (scripts.length === 1 && !active) return scripts[0];
  const items = scripts.map((uri) => ({ label: vscode.workspace.asRelativePath(uri, false), uri }));
  const pick = await vscode.window.showQuickPick(items, { title: 'AutoDist: Simulate', placeHolder: 'Which script?', matchOnDescription: true });
  return pick?.uri;
}
