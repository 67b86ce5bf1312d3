/** The planner's result as plain JSON-safe data (what `autodist plan --json` writes and the panel reads). */
import type { ParallelPlan } from './plan.js';
import { shownPlans } from './format.js';
import type { PlanEstimate, SearchResult } from './search.js';

export const PLAN_SCHEMA_VERSION = 1;

export interface PlanJson {
  readonly schemaVersion: number;
  readonly model: { readonly id: string; readonly params: number; readonly shape: Record<string, unknown> };
  readonly seq: number;
  readonly globalBatch: number;
  readonly cluster: { readonly gpus: number; readonly gpusPerNode: number; readonly hardware: Record<string, unknown> };
  readonly options: Record<string, unknown>;
  readonly examined: number;
  /** The search stopped at its cap: some plans were not examined. */
  readonly capped: boolean;
  /** The dimensions held fixed (`--tp`, `--pp` … : a forced layout). */
  readonly fixed: SearchResult['fixed'];
  readonly fitting: number;
  readonly wallMs: number;
  /** The table's rows: the fastest plan of each layout, in rank order. */
  readonly shown: readonly PlanEstimateJson[];
  /** Every plan that fits, in rank order. */
  readonly ranked: readonly PlanEstimateJson[];
  readonly failures: SearchResult['failures'];
}

export interface PlanEstimateJson {
  readonly rank: number;
  readonly plan: ParallelPlan;
  readonly memory: PlanEstimate['memory'];
  readonly time: PlanEstimate['time'];
}

export function searchResultJson(r: SearchResult, top = 10): PlanJson {
  const index = new Map(r.ranked.map((e, i) => [e, i + 1]));
  const row = (e: PlanEstimate): PlanEstimateJson => ({ rank: index.get(e) ?? 0, plan: e.plan, memory: e.memory, time: e.time });
  const { model, shape, cluster, options } = r.setup;
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    model: { id: model.id, params: shape.totalParams, shape: { ...shape } },
    seq: r.setup.seq,
    globalBatch: r.setup.globalBatch,
    cluster: { gpus: cluster.gpus, gpusPerNode: cluster.gpusPerNode, hardware: { ...cluster.hardware } },
    options: { ...options },
    examined: r.examined,
    capped: r.capped,
    fixed: r.fixed,
    fitting: r.ranked.length,
    wallMs: r.wallMs,
    shown: shownPlans(r, top).map(row),
    ranked: r.ranked.map(row),
    failures: r.failures,
  };
}
