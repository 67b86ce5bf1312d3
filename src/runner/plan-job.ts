import { makeSetup, modelFromConfigJson, simulatePlan, type ParallelPlan } from '../planner/index.js';
import type { Report } from '../report/types.js';
import type { PlanJob } from './protocol.js';

/** A planner plan (plain data) simulated in meta mode: the worker runs this, tests call it directly. */
export async function runPlanJob(job: PlanJob): Promise<Report> {
  const model = typeof job.model === 'string' ? job.model : modelFromConfigJson(job.model.config, job.model.name);
  const setup = makeSetup({ model, gpus: job.gpus, gpu: job.gpu, seq: job.seq, globalBatch: job.globalBatch });
  return simulatePlan(job.plan as ParallelPlan, setup, { backend: 'meta (shapes only)' });
}
