/**
 * The errors AutoDist left in code-server's logs: any "[error]" line of the AutoDist output
 * channel's log, and any "[error]" line of the other logs (extension host, window, server) that
 * names AutoDist. Used inside the extension host (bundled with the mocha tests) and outside.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';

function logFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) logFiles(p, out);
    else if (name.endsWith('.log')) out.push(p);
  }
  return out;
}

export interface LogErrors {
  /** Log files of the AutoDist output channel (one per window that activated it). */
  readonly own: readonly string[];
  readonly scanned: number;
  /** "file: line" for every error line from AutoDist. */
  readonly errors: readonly string[];
}

/**
 * The paths of the checkout a log line may name (the suite's folders are inside it): a checkout
 * called "autodist" must not make every error line that names a file look like AutoDist's.
 */
function checkoutPaths(logsDir: string): string[] {
  const i = logsDir.indexOf(`${path.sep}code-server${path.sep}user${path.sep}logs`);
  if (i < 0) return [];
  const out = logsDir.slice(0, i); // test-results/e2e, or the short symlink to it
  let real = out;
  try {
    real = realpathSync(out);
  } catch {
    /* as it is */
  }
  const root = path.dirname(path.dirname(real)); // the checkout
  return [...new Set([out, real, root])].sort((a, b) => b.length - a.length);
}

export function autodistLogErrors(logsDir: string): LogErrors {
  const files = logFiles(logsDir);
  const own = files.filter((f) => /autodist/i.test(path.basename(f)) || /autodist\.autodist/i.test(path.relative(logsDir, f)));
  const paths = checkoutPaths(logsDir);
  const bare = (l: string) => paths.reduce((x, p) => x.split(p).join('<checkout>'), l);
  const errors: string[] = [];
  for (const f of files) {
    const mine = own.includes(f);
    for (const l of readFileSync(f, 'utf8').split('\n')) {
      if (/\[error\]/i.test(l) && (mine || /autodist/i.test(bare(l)))) errors.push(`${path.relative(logsDir, f)}: ${l.slice(0, 300)}`);
    }
  }
  return { own, scanned: files.length, errors };
}
