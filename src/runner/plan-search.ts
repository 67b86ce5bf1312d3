/**
 * The planner's search off the caller's thread: `searchInWorker` runs `runPlanSearch` in a
 * worker thread (dist/plan-search-worker.js, or the TypeScript source through tsx in tests), so
 * the VS Code extension host stays responsive while a large cluster is searched. The job and the
 * answer are plain data.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { formatSearch, makeSetup, modelFromConfigJson, searchPlans, shownPlans, type PlanEstimate } from '../planner/index.js';

/** What to search: the same inputs as `autodist plan`. */
export interface PlanSearchJob {
  /** A preset id, or an HF config.json's contents and a name. */
  readonly model: string | { readonly config: unknown; readonly name: string };
  readonly gpus: number;
  readonly gpu: string;
  readonly seq: number;
  readonly globalBatch: number;
  /** Rows of the table. */
  readonly top: number;
}

export interface PlanSearchOutput {
  /** The planner's text report (the table, breakdowns and why the rest fail). */
  readonly text: string;
  /** The table's rows, best first. */
  readonly shown: readonly PlanEstimate[];
  readonly modelId: string;
  readonly examined: number;
  readonly capped: boolean;
}

/** The search itself (what the worker runs; tests call it directly). Throws a ConfigError for bad input. */
export function runPlanSearch(job: PlanSearchJob): PlanSearchOutput {
  const model = typeof job.model === 'string' ? job.model : modelFromConfigJson(job.model.config, job.model.name);
  const setup = makeSetup({ model, gpus: job.gpus, gpu: job.gpu, seq: job.seq, globalBatch: job.globalBatch });
  const r = searchPlans(setup);
  return { text: formatSearch(r, job.top), shown: shownPlans(r, job.top), modelId: setup.model.id, examined: r.examined, capped: r.capped };
}

/** Worker → parent. */
export type PlanSearchMessage = { readonly type: 'result'; readonly output: PlanSearchOutput } | { readonly type: 'error'; readonly message: string };

/** Run the search in a worker thread; rejects with the planner's message on bad input. */
export function searchInWorker(job: PlanSearchJob): Promise<PlanSearchOutput> {
  return new Promise((resolve, reject) => {
    const w = spawn(job);
    let done = false;
    w.once('message', (m: PlanSearchMessage) => {
      done = true;
      void w.terminate();
      if (m.type === 'result') resolve(m.output);
      else reject(new Error(m.message));
    });
    w.once('error', (e) => {
      done = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!done) reject(new Error(`the planner's worker stopped (exit code ${code}) before it answered`));
    });
  });
}

/** dist/plan-search-worker.js next to this bundle, or src/runner/plan-search-worker.ts through tsx. */
function spawn(job: PlanSearchJob): Worker {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const bundled = path.join(here, 'plan-search-worker.js');
  if (existsSync(bundled) && !existsSync(path.join(here, 'plan-search-worker.ts'))) return new Worker(bundled, { workerData: job });
  const source = path.join(here, 'plan-search-worker.ts');
  const tsx = createRequire(source).resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`, { eval: true, workerData: job });
}
