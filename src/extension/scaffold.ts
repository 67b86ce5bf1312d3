/**
 * "New Simulation Script": TypeScript or Python, in a workspace folder.
 * - TypeScript: the command line's `autodist init` — the example script (examples/ffn_tp4.ts:
 *   the seed-003 FFN, tensor-parallel over 4 ranks), the type declarations of "autodist" and a
 *   tsconfig.json that includes them, so the editor type-checks the script.
 * - Python: a PyTorch example copied from examples/python/ (the seed-003 FFN with
 *   torch.distributed; a DTensor example when AutoDist ships one), then the offer to point
 *   Pylance at AutoDist's torch (python-analysis.ts) — an offer, never done unasked.
 * Then it opens the script. A file already there is kept, never overwritten.
 */
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as vscode from 'vscode';
import { examplesDir } from '../cli/examples.js';
import { EXAMPLE_FILE, initCommand } from '../cli/init.js';
import { COMMAND_TITLES, COMMANDS } from './ids.js';

/** What "New Simulation Script" can write: the TypeScript example, or a Python file of examples/python/. */
export type ScaffoldKind = { readonly lang: 'typescript' } | { readonly lang: 'python'; readonly file: string };

/** The Python examples offered: the seed-003 FFN, and the DTensor examples when they exist. */
export function pythonExamples(dir: string = path.join(examplesDir(), 'python')): { readonly file: string; readonly label: string }[] {
  const out: { file: string; label: string }[] = [];
  if (existsSync(path.join(dir, 'ffn_tp4.py'))) out.push({ file: 'ffn_tp4.py', label: 'Python (PyTorch): the seed-003 FFN, tensor parallel with torch.distributed, 4 processes' });
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => /^dtensor_.*\.py$/.test(f)).sort();
  } catch {
    /* no python examples shipped */
  }
  for (const f of names) out.push({ file: f, label: `Python (PyTorch): DTensor and parallelize_module (${f})` });
  return out;
}

async function chooseKind(): Promise<ScaffoldKind | undefined> {
  const items: (vscode.QuickPickItem & { example: ScaffoldKind })[] = [
    { label: 'TypeScript: the seed-003 FFN, tensor parallel over 4 ranks', description: EXAMPLE_FILE, example: { lang: 'typescript' } },
    ...pythonExamples().map((e) => ({ label: e.label, description: e.file, example: { lang: 'python' as const, file: e.file } })),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'AutoDist: New Simulation Script', placeHolder: 'Which example?' });
  return pick?.example;
}

/** Copies a Python example into `dir` (kept when a file of that name is there). */
export function copyPythonExample(dir: string, file: string, from: string = path.join(examplesDir(), 'python')): { script: string; wrote: boolean } {
  const script = path.join(dir, file);
  if (existsSync(script)) return { script, wrote: false };
  copyFileSync(path.join(from, file), script);
  return { script, wrote: true };
}

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

export async function newScript(init: InitFn = initCommand, kindIn?: ScaffoldKind): Promise<vscode.Uri | undefined> {
  const kind = kindIn ?? (await chooseKind());
  if (!kind) return undefined;
  const folder = await chooseFolder();
  if (!folder) return undefined;
  if (kind.lang === 'python') return newPythonScript(folder.fsPath, kind.file);
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

async function newPythonScript(dir: string, file: string): Promise<vscode.Uri | undefined> {
  let copied: { script: string; wrote: boolean };
  try {
    copied = copyPythonExample(dir, file);
  } catch (e) {
    void vscode.window.showErrorMessage(`AutoDist: could not write the example: ${(e as Error).message}`);
    return undefined;
  }
  const script = vscode.Uri.file(copied.script);
  await vscode.window.showTextDocument(script);
  const stubs = COMMAND_TITLES[COMMANDS.usePythonStubs];
  void vscode.window.showInformationMessage(
    `AutoDist: ${copied.wrote ? 'wrote' : 'kept'} ${file}. Run "AutoDist: ${COMMAND_TITLES[COMMANDS.simulate]}" on it. Without torch installed, Pylance flags "import torch": let it read AutoDist's torch instead (adds a path to this workspace's python.analysis.extraPaths)?`,
    stubs,
  ).then((pick) => {
    if (pick === stubs) void vscode.commands.executeCommand(COMMANDS.usePythonStubs);
  });
  return script;
}
