/**
 * "New Simulation Script": the command line's `autodist init` in a workspace folder — the
 * example script (examples/ffn_tp4.ts: the seed-003 FFN, tensor-parallel over 4 ranks), the type
 * declarations of "autodist" and a tsconfig.json that includes them, so the editor type-checks
 * the script — then opens the script.
 */
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as vscode from 'vscode';
import { EXAMPLE_FILE, initCommand } from '../cli/init.js';
import { COMMAND_TITLES, COMMANDS } from './ids.js';

/** `autodist init` as a function: what it printed, and the script's path. */
export type InitFn = (dir: string, force: boolean, out: NodeJS.WritableStream) => number;

async function chooseFolder(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0].uri;
  if (folders.length > 1) return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Where should the example script go?' }))?.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create the example here' });
  return picked?.[0];
}

/** Runs init in `dir`; returns the script and init's report (which files it wrote or kept). */
export function initFolder(dir: string, init: InitFn = initCommand): { script: string; log: string } {
  let log = '';
  const out = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      log += chunk.toString();
      done();
    },
  });
  const code = init(dir, false, out);
  if (code !== 0) throw new Error(log.trim() || `init failed (${code})`);
  return { script: path.join(dir, EXAMPLE_FILE), log };
}

export async function newScript(init: InitFn = initCommand): Promise<vscode.Uri | undefined> {
  const folder = await chooseFolder();
  if (!folder) return undefined;
  let result: { script: string; log: string };
  try {
    result = initFolder(folder.fsPath, init);
  } catch (e) {
    void vscode.window.showErrorMessage(`AutoDist: could not write the example: ${(e as Error).message}`);
    return undefined;
  }
  const script = vscode.Uri.file(result.script);
  await vscode.window.showTextDocument(script);
  const what = result.log.split('\n').filter((l) => /^\s+(wrote|kept)\b/.test(l)).map((l) => l.trim()).join('; ');
  void vscode.window.showInformationMessage(`AutoDist: ${what || `wrote ${EXAMPLE_FILE}`}. Run "AutoDist: ${COMMAND_TITLES[COMMANDS.simulate]}" on it.`);
  return script;
}
