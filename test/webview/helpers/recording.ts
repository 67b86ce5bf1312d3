/**
 * A recorded run as the panel receives it: the host messages of the seed-003 FFN
 * (examples/ffn_tp4.ts, meta mode) — runStarted, the streamed events in batches, runFinished
 * with the report — made by runSimulation and the extension's own converters.
 */
import { liveEvent, meshInfo } from '../../../src/extension/live.js';
import { verdictOf } from '../../../src/extension/verdict.js';
import type { HostMessage, LiveEvent, RunInfo } from '../../../src/protocol.js';
import * as path from 'node:path';
import { EXAMPLE, record, seedMeta, type Recorded } from '../../extension/helpers/reports.js';

export interface Recording {
  readonly seed: Recorded;
  readonly run: RunInfo;
  /** runStarted and the live batches. */
  readonly live: HostMessage[];
  readonly finished: HostMessage;
}

export async function recordSeed(batch = 12): Promise<Recording> {
  const seed = await seedMeta();
  const run: RunInfo = { id: 1, script: EXAMPLE, name: 'examples/ffn_tp4.ts', mode: 'meta', startedAt: 0 };
  const events: LiveEvent[] = [{ kind: 'loaded', mesh: meshInfo({ tp: 4 }), model: 'ffn', layers: ['fc1', 'fc2'] }, ...seed.events.map(liveEvent).filter((e): e is LiveEvent => e !== undefined)];
  const live: HostMessage[] = [{ type: 'runStarted', run }];
  for (let i = 0; i < events.length; i += batch) live.push({ type: 'runEvents', runId: run.id, events: events.slice(i, i + batch) });
  return { seed, run, live, finished: { type: 'runFinished', run, report: seed.report, verdict: verdictOf(seed.report) } };
}

/** The finished-run message of any script's run (for the failure and pipeline views). */
export async function finishedRun(file: string, id: number): Promise<{ msg: HostMessage; seed: Recorded }> {
  const seed = await record(file);
  const run: RunInfo = { id, script: file, name: path.basename(file), mode: seed.report.mode, startedAt: 0 };
  return { seed, msg: { type: 'runFinished', run, report: seed.report, verdict: verdictOf(seed.report) } };
}

export const PIPELINE = path.resolve(__dirname, '../fixtures/pipeline-mesh.ts');
