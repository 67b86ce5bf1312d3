/**
 * What each rank of a Python run printed, as whole lines prefixed the way torchrun prints them
 * ("[rank0]: loss 1.2e-3"). Python writes in pieces (`print("a", "b")` may arrive as "a", " b",
 * "\n"), and ranks interleave: a piece is held per rank and stream until its line ends. No
 * `vscode` here; the controller hands the lines to the "AutoDist" output channel.
 */
export type PrintedLine = (line: string, stream: 'stdout' | 'stderr') => void;

export class RankOutput {
  private readonly partial = new Map<string, string>();

  constructor(private readonly write: PrintedLine) {}

  push(rank: number, stream: 'stdout' | 'stderr', text: string): void {
    const key = `${rank}\u0000${stream}`;
    const lines = ((this.partial.get(key) ?? '') + text).split(/\r?\n/);
    const rest = lines.pop()!;
    if (rest) this.partial.set(key, rest);
    else this.partial.delete(key);
    for (const l of lines) this.write(label(rank, l), stream);
  }

  /** The lines still unfinished (the run ended without their newline). */
  flush(): void {
    for (const [key, text] of this.partial) {
      const [rank, stream] = key.split('\u0000');
      this.write(label(Number(rank), text), stream as 'stdout' | 'stderr');
    }
    this.partial.clear();
  }
}

/** torchrun's prefix; a negative rank is the launcher itself (no prefix). */
const label = (rank: number, line: string): string => (rank >= 0 ? `[rank${rank}]: ${line}` : line);
