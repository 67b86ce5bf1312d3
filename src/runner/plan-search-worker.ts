/** The planner's search worker (worker_threads): runs one PlanSearchJob and posts its answer (./plan-search.ts). */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runPlanSearch, type PlanSearchJob, type PlanSearchMessage } from './plan-search.js';

if (!isMainThread && parentPort) {
  let m: PlanSearchMessage;
  try {
    m = { type: 'result', output: runPlanSearch(workerData as PlanSearchJob) };
  } catch (e) {
    m = { type: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  parentPort.postMessage(m);
}
