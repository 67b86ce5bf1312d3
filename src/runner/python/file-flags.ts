/**
 * A Python file's own command-line flags: its `# autodist: --nproc-per-node 4 --meta` lines. Apart
 * from run-python.ts so the extension can read them without loading the interpreter's code.
 */

/** `# autodist: --nproc-per-node 4 --meta` lines of a file: its own command-line flags. */
export function fileFlags(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*#\s*autodist:\s*(.+)$/gm)) out.push(...m[1].trim().split(/\s+/));
  return out;
}

/**
 * The process count among flags (`--nproc-per-node 4`, `--nproc_per_node=4`), as torchrun spells
 * it; undefined when absent. The value is not checked here (the runner refuses a bad one by name).
 */
export function nprocOfFlags(flags: readonly string[]): number | undefined {
  const i = flags.findIndex((f) => /^--nproc[-_]per[-_]node(=|$)/.test(f));
  if (i < 0) return undefined;
  const v = flags[i].includes('=') ? flags[i].split('=')[1] : flags[i + 1];
  return v === undefined ? Number.NaN : Number(v);
}
