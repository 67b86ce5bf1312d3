import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { compareReports, type Comparison } from '../report/compare.js';
import type { Report } from '../report/types.js';
import { compareHtml } from '../report-html/compare-html.js';
import type { CompareArgs } from './args.js';
import { runWithProgress, type CliIO } from './simulate.js';

/**
 * `autodist compare A B …`: run each script in turn through the worker `simulate` uses (so any
 * script the runner loads can be compared), print one table with a column per run, and write
 * `{ "runs": [Report, …] }` (each exactly what `simulate --json` writes) and the side-by-side
 * HTML. A failing run keeps its column with what it recorded. Exit code: the worst of the runs'.
 */
export async function compareCommand(a: CompareArgs, io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const reports: Report[] = [];
  for (const script of a.scripts) {
    if (!a.quiet) io.stderr.write(`[${reports.length + 1}/${a.scripts.length}] ${script}\n`);
    reports.push(await runWithProgress(script, a, io));
  }
  const jsonToStdout = a.json === '-';
  const out = jsonToStdout ? io.stderr : io.stdout;
  out.write(compareText(compareReports(reports)) + '\n');
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, text);
    out.write(`wrote ${file}\n`);
  };
  const json = JSON.stringify({ runs: reports }, null, 2) + '\n';
  if (jsonToStdout) io.stdout.write(json);
  else if (a.json) write(a.json, json);
  if (a.html) write(a.html, compareHtml(reports));
  return Math.max(...reports.map((r) => r.exitCode));
}

/** The comparison as text: a column per run, ★ beside the best value of each row. */
export function compareText(c: Comparison): string {
  const body = c.rows.map((r) => [(r.sub ? '  ' : '') + r.label, ...r.cells.map((x) => (x.best ? `★ ${x.text}` : x.text))]);
  const lines: string[] = [];
  let section = '';
  const sectionTitle: Record<string, string> = { collectives: 'Collectives by op and phase (logical = nccl-tests size, sent per rank = what one rank sends, wire = all ranks\' sends)', time: 'Time (estimated step)', memory: 'Memory' };
  const header = ['', ...c.runs];
  const w = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => '  ' + cells.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ').trimEnd();
  lines.push(`Comparing ${c.runs.length} runs (★ best of the row)`, '', line(header));
  c.rows.forEach((r, i) => {
    if (r.section !== section && r.section) lines.push(`${sectionTitle[r.section] ?? r.section}`);
    section = r.section;
    lines.push(line(body[i]));
  });
  return lines.join('\n');
}
