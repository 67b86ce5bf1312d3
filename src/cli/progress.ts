import type { StreamEvent } from '../runner/protocol.js';

/**
 * Progress on stderr: a bar redrawn in place on a terminal, plain lines when piped (one per
 * stage change or message, never a flood of carriage returns into a log file).
 */
export class Progress {
  private lastLine = '';
  private drawn = false;
  private collectives = 0;
  private readonly t0 = performance.now();

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly tty = Boolean(process.stderr.isTTY),
  ) {}

  event(e: StreamEvent): void {
    if (e.type === 'ledger') this.collectives++;
    else if (e.type === 'tally') this.collectives = e.ledger;
    if (e.type !== 'progress') return;
    const line = `${e.stage.padEnd(9)} ${String(Math.round(e.percent)).padStart(3)}%  ${e.message}`;
    if (this.tty) {
      const width = 24;
      const fill = Math.round((width * Math.max(0, Math.min(100, e.percent))) / 100);
      const secs = ((performance.now() - this.t0) / 1000).toFixed(1);
      const cols = this.out.columns ?? 100;
      const text = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${line} · ${this.collectives} collectives · ${secs}s`;
      this.out.write(`\r\x1b[2K${text.slice(0, cols - 1)}`);
      this.drawn = true;
    } else if (line !== this.lastLine) {
      this.out.write(`autodist: ${line}\n`);
    }
    this.lastLine = line;
  }

  /** Clear the bar before the summary is printed. */
  done(): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
