/**
 * "New Simulation Script": writes an example script (the seed-003 FFN, tensor-parallel over 4
 * ranks) into a workspace folder, with the type declarations of "autodist" and a tsconfig.json
 * that includes them, so the editor type-checks the script; then opens it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DECLARATIONS_FILE, declarations } from '../cli/types-emit.js';
import { COMMAND_TITLES, COMMANDS } from './ids.js';

export const EXAMPLE_SCRIPT = `// An AutoDist simulation: the Transformer FFN, tensor-parallel over 4 ranks (Megatron style).
//   X [B, S, d] → fc1: W1 [d, 4d] (column-parallel) → GeLU → fc2: W2 [4d, d] (row-parallel) → Z [B, S, d]
// Run "AutoDist: ${COMMAND_TITLES[COMMANDS.simulate]}" (or "${COMMAND_TITLES[COMMANDS.simulateMeta]}" for shapes, bytes and time only).
import { simulation, ColumnParallelLinear, RowParallelLinear, models, type FFN } from 'autodist';

export default simulation({
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 1024 }), // fc1 [1024, 4096], fc2 [4096, 1024]
  input: { batch: 8, seq: 128 }, // X [8, 128, 1024]
  parallelize(model, { tp, weights }) {
    // runs on every rank; \`weights\` is the dense checkpoint, \`tp\` this rank's place on the tp axis
    const ffn = model as FFN;
    ffn.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false }); // W1 [1024, 1024] per rank
    ffn.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true }); // all-reduce of [B, S, d]
  },
});
`;

export const EXAMPLE_TSCONFIG = `{
  // Lets the editor type-check AutoDist scripts here; ${DECLARATIONS_FILE} declares the "autodist" module.
  "compilerOptions": { "target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler", "strict": true, "noEmit": true, "skipLibCheck": true, "types": [] },
  "include": ["**/*.ts"]
}
`;

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

async function chooseFolder(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0].uri;
  if (folders.length > 1) return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Where should the script go?' }))?.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create the script here' });
  return picked?.[0];
}

/** Writes the files (never overwriting the person's) and returns the script's URI. */
export async function writeExample(folder: vscode.Uri, name: string, types: () => string = declarations): Promise<vscode.Uri> {
  const enc = new TextEncoder();
  const script = vscode.Uri.joinPath(folder, name);
  await vscode.workspace.fs.writeFile(script, enc.encode(EXAMPLE_SCRIPT));
  const dts = vscode.Uri.joinPath(folder, DECLARATIONS_FILE);
  if (!(await exists(dts))) await vscode.workspace.fs.writeFile(dts, enc.encode(types()));
  const tsconfig = vscode.Uri.joinPath(folder, 'tsconfig.json');
  if (!(await exists(tsconfig)) && !(await exists(vscode.Uri.joinPath(folder, 'jsconfig.json')))) await vscode.workspace.fs.writeFile(tsconfig, enc.encode(EXAMPLE_TSCONFIG));
  return script;
}

export async function newScript(): Promise<vscode.Uri | undefined> {
  const folder = await chooseFolder();
  if (!folder) return undefined;
  const name = await vscode.window.showInputBox({
    title: 'AutoDist: New Simulation Script',
    prompt: 'File name of the new script',
    value: 'ffn_tp4.autodist.ts',
    valueSelection: [0, 'ffn_tp4'.length],
    validateInput: async (v) => {
      if (!/^[\w.-]+\.(ts|mts)$/.test(v)) return 'a file name ending in .ts';
      return (await exists(vscode.Uri.joinPath(folder, v))) ? `${v} already exists` : undefined;
    },
  });
  if (!name) return undefined;
  let script: vscode.Uri;
  try {
    script = await writeExample(folder, name);
  } catch (e) {
    void vscode.window.showErrorMessage(`AutoDist: could not write the example: ${(e as Error).message}`);
    return undefined;
  }
  await vscode.window.showTextDocument(script);
  void vscode.window.showInformationMessage(`AutoDist: wrote ${path.basename(script.fsPath)} and the "autodist" types (${DECLARATIONS_FILE}). Run "AutoDist: ${COMMAND_TITLES[COMMANDS.simulate]}" to simulate it.`);
  return script;
}
