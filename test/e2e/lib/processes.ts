/**
 * Child processes the suite starts (code-server, Chromium), each in its own process group, with
 * its output kept in a log file and in memory (for "wait for this line" and failure messages).
 * Every group started here is stopped by its pid on every exit path: `stop()`, `stopAll()` from
 * a finally block, and the exit and signal handlers installed by `installExitHandlers()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { TimeoutError } from './harness.js';

const live = new Set<Group>();

export class Group {
  private out = '';
  private readonly waiters = new Set<() => void>();
  private readonly file: WriteStream;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    logFile: string,
  ) {
    this.file = createWriteStream(logFile);
    const take = (b: Buffer) => {
      const s = b.toString();
      this.out += s;
      if (this.out.length > 2_000_000) this.out = this.out.slice(-1_000_000);
      this.file.write(s);
      for (const w of [...this.waiters]) w();
    };
    proc.stdout?.on('data', take);
    proc.stderr?.on('data', take);
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        this.file.end();
        live.delete(this);
        for (const w of [...this.waiters]) w();
        resolve(code);
      }),
    );
  }

  /** Start `cmd` in a new process group (detached), output to `logFile`. */
  static start(name: string, cmd: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; cwd: string; logFile: string }): Group {
    const proc = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const g = new Group(name, proc, opts.logFile);
    proc.on('error', (e) => {
      g.out += `\n[spawn error] ${e.message}\n`;
    });
    live.add(g);
    return g;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get output(): string {
    return this.out;
  }

  tail(lines = 30): string {
    return this.out.split('\n').slice(-lines).join('\n');
  }

  /** The first match of `re` in the output (waiting up to `ms`); fails early if the process exits. */
  async waitFor(re: RegExp, ms: number, what: string): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (this.exitCode !== undefined) throw new Error(`${this.name} exited (code ${this.exitCode}) before ${what}; its log ends:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`${this.name}: ${what} did not happen within ${(ms / 1000).toFixed(0)} s; its log ends:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, 1000));
        this.waiters.add(done);
      });
    }
  }

  /** SIGTERM to the whole group, SIGKILL after `graceMs` if anything is left. */
  async stop(graceMs = 5000): Promise<void> {
    const pid = this.pid;
    if (!pid || this.exitCode !== undefined) {
      killGroup(pid, 'SIGKILL'); // leftovers of a group whose leader already exited
      return;
    }
    killGroup(pid, 'SIGTERM');
    const t = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs + 2000))]);
    clearTimeout(t);
    killGroup(pid, 'SIGKILL');
    live.delete(this);
  }

  /** Synchronous last resort (exit handlers). */
  killNow(): void {
    killGroup(this.pid, 'SIGKILL');
  }
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((g) => g.stop()));
}

let installed = false;

/**
 * Kill every started group when this process exits or is interrupted; on a signal, `onInterrupt`
 * closes the report (it returns the exit code).
 */
export function installExitHandlers(onInterrupt: (signal: string) => number): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const g of live) g.killNow();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stdout.write(`\n[e2e] ${sig}: stopping code-server and Chromium\n`);
      for (const g of live) g.killNow();
      process.exit(onInterrupt(sig) || 130);
    });
  }
}
