/**
 * The e2e suite's small test harness: named checks run in order, each time-bounded; a failed
 * check saves a screenshot and the server log's tail; steps (install, package, start) are timed
 * and logged; the closing line is the plain "N passed, N failed" CI reads.
 */
import { performance } from 'node:perf_hooks';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

/** What a failing check leaves behind (a screenshot, the server log's tail). */
export type FailureHook = (name: string, error: Error) => Promise<string>;

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** `p`, or a TimeoutError saying `what` did not happen within `ms`. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} (still not after ${(ms / 1000).toFixed(0)} s)`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

const fmtS = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export class Harness {
  readonly results: CheckResult[] = [];
  readonly steps: { readonly name: string; readonly ms: number }[] = [];
  private readonly t0 = performance.now();
  onFailure: FailureHook | null = null;

  log(line: string): void {
    process.stdout.write(`[e2e] ${line}\n`);
  }

  /** A timed setup step; throws on failure (the caller records it as a failed check). */
  async step<T>(name: string, ms: number, fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    this.log(`step ${name}…`);
    try {
      return await within(ms, `step "${name}" did not finish`, fn());
    } finally {
      const took = performance.now() - t;
      this.steps.push({ name, ms: took });
      this.log(`step ${name}: ${fmtS(took)}`);
    }
  }

  /**
   * One check, named by what a person sees. `fn` gets nothing and throws to fail. A check whose
   * precondition failed is recorded as failed with `blockedBy` as its reason (it does not run).
   */
  async check(name: string, ms: number, fn: () => Promise<void>, blockedBy?: string | null): Promise<boolean> {
    const t = performance.now();
    let error: Error | undefined;
    if (blockedBy) error = new Error(`not checked: ${blockedBy}`);
    else {
      try {
        await within(ms, `"${name}"`, fn());
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
    }
    const took = performance.now() - t;
    let detail = '';
    if (error && !blockedBy && this.onFailure) {
      try {
        detail = await within(20_000, 'saving the failure evidence', this.onFailure(name, error));
      } catch (e) {
        detail = `(could not save the failure evidence: ${(e as Error).message})`;
      }
    }
    this.record({ name, ok: !error, ms: took, error: error ? `${error.message}${detail ? `\n${detail}` : ''}` : undefined });
    return !error;
  }

  /** A result computed elsewhere (the extension-host tests report theirs through mocha). */
  record(r: CheckResult): void {
    this.results.push(r);
    const head = `${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${fmtS(r.ms)})`;
    process.stdout.write(`${head}\n`);
    if (r.error) process.stdout.write(`${r.error.split('\n').map((l) => `       ${l}`).join('\n')}\n`);
  }

  /** The timings and the closing "N passed, N failed" line; returns the exit code. */
  finish(): number {
    const passed = this.results.filter((r) => r.ok).length;
    const failed = this.results.length - passed;
    this.log('timings:');
    for (const s of this.steps) this.log(`  ${s.name.padEnd(36)} ${fmtS(s.ms).padStart(8)}`);
    this.log(`  ${'total'.padEnd(36)} ${fmtS(performance.now() - this.t0).padStart(8)}`);
    // .ci/run exports when it started (epoch ms), so the whole CI run's time shows here too
    const ciStart = Number(process.env.AUTODIST_CI_STARTED_MS);
    if (ciStart > 0) this.log(`  ${'.ci/run total (npm ci, npm test, e2e)'.padEnd(36)} ${fmtS(Date.now() - ciStart).padStart(8)}`);
    if (failed) {
      this.log('failed:');
      for (const r of this.results.filter((x) => !x.ok)) this.log(`  ✗ ${r.name}`);
    }
    process.stdout.write(`${passed} passed, ${failed} failed\n`);
    return failed || passed === 0 ? 1 : 0;
  }
}
