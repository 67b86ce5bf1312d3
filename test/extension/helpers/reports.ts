/**
 * Real reports for the extension's tests, made by runSimulation (not typed by hand): the seed-003
 * FFN of examples/ffn_tp4.ts in meta mode, a deadlock, and a numeric divergence (bias added
 * before the all-reduce). Each is computed once per test process.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runSimulation, type RunEvent } from '../../../src/parallel/simulation/run.js';
import type { SimulationSpec } from '../../../src/parallel/simulation/spec.js';
import type { Report } from '../../../src/report/types.js';
import { useBackend } from '../../helpers/backend.js';

const root = path.resolve(__dirname, '../../..');
export const EXAMPLE = path.join(root, 'examples/ffn_tp4.ts');
export const DEADLOCK = path.join(root, 'test/extension/fixtures/deadlock.ts');
export const BIAS_BUG = path.join(root, 'test/extension/fixtures/bias-bug.ts');

/** 1-based line of the first line of `file` containing `marker`. */
export function lineOf(file: string, marker: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`${marker} not in ${file}`);
  return i + 1;
}

export interface Recorded {
  readonly report: Report;
  readonly events: RunEvent[];
}

const cache = new Map<string, Promise<Recorded>>();

async function run(file: string, mode?: 'meta'): Promise<Recorded> {
  await useBackend();
  const spec = ((await import(file)) as { default: SimulationSpec }).default;
  const events: RunEvent[] = [];
  const report = await runSimulation(spec, { onEvent: (e) => events.push(e), overrides: mode ? { mode } : {}, script: file });
  return { report, events };
}

/** The run of a script (its default export), once per test process. */
export function record(file: string, mode?: 'meta'): Promise<Recorded> {
  const key = `${file}|${mode ?? ''}`;
  let p = cache.get(key);
  if (!p) cache.set(key, (p = run(file, mode)));
  return p;
}

/** examples/ffn_tp4.ts (mesh tp=4, hidden 1024, batch 8, seq 128) in meta mode. */
export const seedMeta = () => record(EXAMPLE, 'meta');
export const deadlock = () => record(DEADLOCK);
export const biasBug = () => record(BIAS_BUG);
