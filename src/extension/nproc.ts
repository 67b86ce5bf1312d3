/**
 * How many processes a Python file runs on, in this order: the file's own
 * `# autodist: --nproc-per-node 4` line (any of the CLI's flags may stand there), else the
 * `autodist.nprocPerNode` setting, else a quick pick whose answer is remembered per file in the
 * workspace's state (so the second run does not ask again).
 */
import * as vscode from 'vscode';
import { fileFlags, nprocOfFlags } from '../runner/python/file-flags.js';
import { NPROC_MEMORY_KEY } from './ids.js';
import { fileKey } from './paths.js';

/** Where the count came from (shown in the log). */
export type NprocSource = 'file' | 'setting' | 'remembered' | 'picked';

export interface NprocChoice {
  readonly n: number;
  readonly from: NprocSource;
}

/** What the chooser reads and writes: the workspace's memory of earlier answers. */
export interface Memory {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

/** The counts offered in the quick pick (torchrun's usual ones: one node of up to 8 GPUs, then more). */
export const NPROC_CHOICES = [1, 2, 4, 8, 16, 32, 64] as const;

/**
 * The file's count, the setting's, the remembered answer, or the person's pick; undefined when
 * they dismissed the pick. A count in the file that is not a whole number is passed on: the
 * runner refuses it with the fix, at the file.
 */
export async function chooseNproc(file: string, text: string, setting: number | undefined, memory: Memory | undefined): Promise<NprocChoice | undefined> {
  const fromFile = nprocOfFlags(fileFlags(text));
  if (fromFile !== undefined) return { n: fromFile, from: 'file' };
  if (setting !== undefined) return { n: setting, from: 'setting' };
  const all = memory?.get<Record<string, number>>(NPROC_MEMORY_KEY) ?? {};
  const key = fileKey(file);
  const remembered = all[key];
  if (typeof remembered === 'number') return { n: remembered, from: 'remembered' };
  const items = NPROC_CHOICES.map((n) => ({ label: String(n), description: n === 4 ? 'like examples/python/ffn_tp4.py' : undefined, n }));
  const pick = await vscode.window.showQuickPick(items, {
    title: 'AutoDist: how many processes (torchrun --nproc-per-node)?',
    placeHolder: 'Remembered for this file; or write "# autodist: --nproc-per-node N" in it, or set autodist.nprocPerNode',
  });
  if (!pick) return undefined;
  await memory?.update(NPROC_MEMORY_KEY, { ...all, [key]: pick.n });
  return { n: pick.n, from: 'picked' };
}
