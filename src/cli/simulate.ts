import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Report } from '../report/types.js';
import { reportHtml } from '../report-html/html.js';
import { GiB } from '../runner/memory-guard.js';
import { runInWorker } from '../runner/run-in-worker.js';
import type { SimulateArgs } from './args.js';
import { chromeTrace } from './chrome-trace.js';
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
  const written = writeOutputs(report, a, io);
  const jsonToStdout = a.json === '-';
  const summaryOut = jsonToStdout ? io.stderr : io.stdout;
  summaryOut.write(summarize(report) + '\n');
  for (const w of written) summaryOut.write(`wrote ${w}\n`);
  return report.exitCode;
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
    onEvent: (e) => progress?.event(e),
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

function writeOutputs(r: Report, a: SimulateArgs, io: CliIO): string[] {
  const written: string[] = [];
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, text);
    written.push(file);
  };
  if (a.json === '-') io.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else if (a.json) write(a.json, JSON.stringify(r, null, 2) + '\n');
  if (a.trace) write(a.trace, JSON.stringify(chromeTrace(r)));
  if (a.html) write(a.html, reportHtml(r));
  if (a.dump && existsSync(a.dump)) written.push(a.dump); // the worker wrote it
  return written;
}
