/**
 * A Python file's own settings: its `# autodist:` flags (fileOverrides), and how many processes
 * it runs on, in this order: the file's own
 * `# autodist: --nproc-per-node 4` line (any of the CLI's flags may stand there), else the
 * `autodist.nprocPerNode` setting, else a quick pick whose answer is remembered per file in the
 * workspace's state (so the second run does not ask again).
 */
import * as vscode from 'vscode';
import { parseArgs } from '../cli/args.js';
import { fileFlags, nprocOfFlags } from '../runner/python/file-flags.js';
import type { RunSettings } from './settings.js';
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

/** What a Python file's `# autodist:` flags change in the editor's run, and what they could not. */
export interface FileOverrides {
  readonly overrides: Partial<Pick<RunSettings, 'hardware' | 'algorithm' | 'backend' | 'timeLimitS' | 'memoryLimitGB'>>;
  /** `--meta` in the file: the run is a meta run whichever command started it. */
  readonly meta: boolean;
  /** Flags that mean nothing in the editor (output files, …), or the flags' error. */
  readonly notes: readonly string[];
}

const HARDWARE: readonly RunSettings['hardware'][] = ['h100', 'a100', 'h200'];

/**
 * The file's `# autodist:` flags read as the command line reads them (src/cli/args.ts), turned
 * into the run's settings: --hardware, --algorithm, --backend, --timeout, --max-memory, --meta
 * (the process count: `chooseNproc`). Files it would write (--json, --trace, --html, --dump) and
 * the rest are the command line's only, and named in `notes`.
 */
export function fileOverrides(file: string, text: string): FileOverrides {
  const flags = fileFlags(text);
  if (!flags.length) return { overrides: {}, meta: false, notes: [] };
  let a: ReturnType<typeof parseArgs>;
  try {
    a = parseArgs(['simulate', file, ...flags]);
  } catch (e) {
    return { overrides: {}, meta: flags.includes('--meta'), notes: [`the "# autodist:" line: ${(e as Error).message}`] };
  }
  if (a.command !== 'simulate') return { overrides: {}, meta: false, notes: [] };
  const given = (f: string) => flags.some((x) => x === `--${f}` || x.startsWith(`--${f}=`));
  const overrides: Record<string, unknown> = {};
  const notes: string[] = [];
  if (a.hardware !== undefined) {
    if ((HARDWARE as readonly string[]).includes(a.hardware)) overrides.hardware = a.hardware;
    else notes.push(`the "# autodist:" line's --hardware ${a.hardware} is not one of ${HARDWARE.join(', ')}; using the setting`);
  }
  if (a.algorithm) overrides.algorithm = a.algorithm;
  if (a.backend) overrides.backend = a.backend;
  if (given('timeout')) overrides.timeLimitS = a.timeoutS;
  if (given('max-memory')) overrides.memoryLimitGB = a.maxMemoryGB;
  const cliOnly = ['json', 'trace', 'html', 'dump', 'quiet', 'threads', 'mesh', 'no-nan-check'].filter(given);
  if (cliOnly.length) notes.push(`the "# autodist:" line's ${cliOnly.map((f) => `--${f}`).join(', ')} ${cliOnly.length === 1 ? 'is' : 'are'} for the command line; the editor shows the report in its panel`);
  return { overrides: overrides as FileOverrides['overrides'], meta: a.meta, notes };
}
