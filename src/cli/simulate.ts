import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Report } from '../report/types.js';
import { reportHtml } from '../report-html/html.js';
import { GiB } from '../runner/memory-guard.js';
import { runInWorker } from '../runner/run-in-worker.js';
import type { SimulateArgs } from './args.js';
import { chromeTrace } from './chrome-trace.js';
import { writeJsonFile, writeJsonTo } from './json-writer.js';
import { Progress } from './progress.js';
import { summarize } from './summary.js';

export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
}

/**
 * `autodist simulate`: run the script in a worker, show progress on stderr, print the summary,
 * write the requested files (also for a failed run: they show how far it got), and return the
 * report's exit code — 0 verified, 1 verification failed, 2 bad input or script error.
 */
export async function simulateCommand(a: SimulateArgs, io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  if (a.dump) rmSync(a.dump, { force: true }); // the worker writes it anew; an old one must not pass for this run's
  const report = await runWithProgress(a.script, a, io);
  const { written, failed } = writeOutputs(report, a, io);
  const jsonToStdout = a.json === '-';
  const summaryOut = jsonToStdout ? io.stderr : io.stdout;
  summaryOut.write(summarize(report) + '\n');
  for (const w of written) summaryOut.write(`wrote ${w}\n`);
  for (const f of failed) io.stderr.write(`autodist: could not write ${f.file}: ${f.reason}\n  fix: ${f.flag} a path in a folder you can write to\n`);
  // a file that was asked for and not written is a bad argument (2), unless the run already says worse
  return failed.length && report.exitCode < 2 ? 2 : report.exitCode;
}

export async function runWithProgress(script: string, a: Partial<Omit<SimulateArgs, 'command'>>, io: CliIO): Promise<Report> {
  const progress = a.quiet ? null : new Progress(io.stderr);
  const handle = runInWorker(script, {
    mesh: a.mesh,
    mode: a.meta ? 'meta' : undefined,
    backend: a.backend,
    threads: a.threads,
    hardware: a.hardware,
    algorithm: a.algorithm,
    timeoutS: a.timeoutS,
    maxMemoryBytes: a.maxMemoryGB !== undefined ? a.maxMemoryGB * GiB : undefined,
    nanCheck: a.nanCheck,
    dump: 'dump' in a ? a.dump : undefined,
    nprocPerNode: a.nprocPerNode,
    scriptArgs: a.scriptArgs,
    onEvent: (e) => {
      if (e.type === 'output') {
        // each rank's lines as torchrun prints them: "[rank0]: ..."
        progress?.done();
        const out = e.stream === 'stderr' ? io.stderr : io.stdout;
        const lines = e.text.endsWith('\n') ? e.text.slice(0, -1).split('\n') : e.text.split('\n');
        out.write(lines.map((l) => (e.rank >= 0 ? `[rank${e.rank}]: ${l}` : l)).join('\n') + '\n');
        return;
      }
      progress?.event(e);
    },
  });
  const onSignal = () => handle.cancel();
  process.once('SIGINT', onSignal);
  try {
    return await handle.result;
  } finally {
    process.removeListener('SIGINT', onSignal);
    progress?.done();
  }
}

/**
 * Make a folder and its missing parents, one by one: Node's recursive mkdirSync spins forever on
 * some paths (under /proc), where this fails at once with the parent's error.
 */
function ensureDir(dir: string): void {
  const missing: string[] = [];
  let d = dir;
  while (!existsSync(d)) {
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing.reverse()) mkdirSync(m);
}

interface WriteFailure {
  readonly file: string;
  readonly flag: string;
  readonly reason: string;
}

/**
 * Write the requested files. Each is written on its own: one that cannot be written (a folder
 * without permission, a path through a file) is reported and the others are still written.
 * JSON goes out in pieces (json-writer.ts): a million-rank report is longer than a string.
 */
function writeOutputs(r: Report, a: SimulateArgs, io: CliIO): { written: string[]; failed: WriteFailure[] } {
  const written: string[] = [];
  const failed: WriteFailure[] = [];
  const write = (file: string, flag: string, put: (file: string) => void) => {
    try {
      ensureDir(path.dirname(path.resolve(file)));
      put(file);
      written.push(file);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      failed.push({ file, flag, reason: err.code ? `${err.code} (${err.message.replace(/^\w+: /, '')})` : err.message });
    }
  };
  if (a.json === '-') writeJsonTo((s) => void io.stdout.write(s), r);
  else if (a.json) write(a.json, '--json', (f) => writeJsonFile(f, r));
  if (a.trace) write(a.trace, '--trace', (f) => writeJsonFile(f, chromeTrace(r), 0));
  if (a.html) write(a.html, '--html', (f) => writeFileSync(f, reportHtml(r)));
  if (a.dump && existsSync(a.dump)) written.push(a.dump); // the worker wrote it
  return { written, failed };
}
