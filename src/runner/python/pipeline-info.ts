import type { SimResult } from '../../core/simulate.js';
import type { PipelineInfo } from '../../report/types.js';

/** What a Python pipeline schedule (torch/distributed/pipelining/schedules.py) records per rank. */
export interface PythonPipelineRecord {
  readonly schedule: string;
  readonly stages: number;
  readonly virtual: number;
  readonly microbatches: number;
  /** The global ranks of this rank's pipeline group, stage order. */
  readonly ranks: readonly number[];
  /** This rank's clock when its step began and ended (µs). */
  readonly t0: number;
  readonly t1: number;
  readonly peakStash: number;
}

/**
 * The pipeline facts of a Python run, measured as the TypeScript path measures them: over the
 * step of rank 0's pipeline group, bubble = (step − busy) / busy per stage rank, busy = compute +
 * collectives (p2p transfers and waits are bubble), beside (p−1)/(v·m).
 */
export function pythonPipelineInfo(records: readonly (PythonPipelineRecord | undefined)[], res: SimResult): PipelineInfo | undefined {
  const first = records.find((r) => r !== undefined);
  if (!first) return undefined;
  const ranks = first.ranks.filter((r) => records[r] !== undefined);
  const t0 = Math.min(...ranks.map((r) => records[r]!.t0));
  const t1 = Math.max(...ranks.map((r) => records[r]!.t1));
  const busy = new Map<number, number>(ranks.map((r) => [r, 0]));
  for (const e of res.trace) {
    if (!busy.has(e.rank) || e.startUs < records[e.rank]!.t0 - 1e-9 || e.endUs > records[e.rank]!.t1 + 1e-9) continue;
    if (e.kind === 'compute' || (e.kind === 'comm' && e.name !== 'recv' && e.name !== 'send')) busy.set(e.rank, busy.get(e.rank)! + e.endUs - e.startUs);
  }
  const perStage = ranks.map((r) => {
    const b = busy.get(r)!;
    return b > 0 ? (t1 - t0 - b) / b : 0;
  });
  const p = first.ranks.length;
  return {
    schedule: first.schedule,
    stages: p,
    microbatches: first.microbatches,
    virtual: first.virtual,
    bubbleMeasured: perStage.reduce((a, b) => a + b, 0) / Math.max(perStage.length, 1),
    bubblePerStage: perStage,
    bubbleFormula: (p - 1) / (first.virtual * first.microbatches),
    peakStash: ranks.map((r) => records[r]!.peakStash),
  };
}
