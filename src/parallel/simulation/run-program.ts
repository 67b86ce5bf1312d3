import type { SimEvent } from '../../core/events.js';
import type { Mesh } from '../../core/mesh.js';
import { simulate, type SimOptions, type SimResult } from '../../core/simulate.js';
import { baseName } from '../../core/source.js';
import { WeightStore } from '../../models/weights.js';
import type { Report, VerificationInfo } from '../../report/types.js';
import { verifyByName, type RankRecord } from '../verify/by-name.js';
import { tolerancesFor } from '../verify/compare.js';
import { ProgramCapture } from '../verify/program-capture.js';
import { disposeRecords, moduleShapes, shardRows, withFirstDifference } from './named-records.js';
import { programWeights } from './program-weights.js';
import { buildReport } from './report-build.js';
import type { RunOptions } from './run.js';
import type { SimulationSpec } from './spec.js';

interface Shared {
  readonly t0: number;
  readonly simBase: Pick<SimOptions, 'hardware' | 'gpusPerNode' | 'algorithm' | 'seed' | 'tpOverlap'>;
  readonly progress: (stage: 'reference' | 'sharded' | 'verify' | 'done', percent: number, message: string) => void;
  readonly timeLimit: () => SimOptions['timeLimit'];
}

/**
 * A custom `program` end to end. Its own reference is the same program at world size 1 (every
 * mesh axis of size 1), as `torchrun --nproc-per-node 1` is a PyTorch file's: in numeric mode the
 * two runs' module outputs and parameter gradients are compared by module name (verify/by-name.ts),
 * so a program needs no AutoDist-specific reference code to be verified.
 */
export async function runProgram(spec: SimulationSpec, mesh: Mesh, mode: 'numeric' | 'meta', opts: RunOptions, s: Shared): Promise<Report> {
  const { progress, simBase } = s;
  const program = spec.program!;
  const wantVerify = spec.verify !== false && mode === 'numeric' && mesh.worldSize > 1;
  // the spec's checkpoint, as the file stores it, for the program to build from
  const store = new WeightStore({ mode, seed: simBase.seed ?? 0, dtype: spec.dtype });
  let res: SimResult;
  let records: (RankRecord | undefined)[] = [];
  let verification: VerificationInfo;
  try {
    opts.loadWeights?.(store);
    progress('sharded', 0, `running the program on ${mesh.worldSize} ranks`);
    const fold = mode === 'meta' && spec.fold !== false ? (spec.fold ?? 'auto') : []; // the person's own per-rank code
    // each rank its own copy of the script's modules (opts.rankFunctions); the reference below the spec's own, untouched
    const run = await recorded(wantVerify, mesh.worldSize, (onRank) => simulate({ ...simBase, mesh, mode, fold, onEvent: opts.onEvent as ((e: SimEvent) => void) | undefined, streamLimits: opts.streamLimits, signal: opts.signal, timeLimit: s.timeLimit() }, onRank));
    res = run.res;
    records = run.records;
    if (!wantVerify) {
      verification = { passed: res.ok, skipped: mode === 'meta' ? 'meta mode has shapes only' : spec.verify === false ? 'verification is off' : 'a run at world size 1 is its own reference', outputs: [], grads: [] };
    } else if (res.errors.some((e) => e.headline.startsWith('time limit'))) {
      verification = { passed: false, skipped: 'the run was stopped at the time limit', outputs: [], grads: [] };
    } else {
      progress('reference', 0, 'running the same program at world size 1 (the reference)');
      const one = Object.fromEntries(mesh.axes.map((a) => [a, 1]));
      const ref = await recorded(true, 1, (onRank) => simulate({ ...simBase, mesh: one, mode: 'numeric', signal: opts.signal, timeLimit: s.timeLimit() }, onRank), false);
      if (!ref.res.ok) {
        const e = ref.res.errors[0];
        verification = { passed: false, skipped: `the program does not run at world size 1 (${e ? e.headline : 'it failed'})`, outputs: [], grads: [] };
      } else {
        progress('verify', 0, 'comparing every module with the world-size-1 run');
        const tol = tolerancesFor(spec.dtype ?? 'float32', typeof spec.verify === 'object' ? spec.verify : undefined);
        verification = verifyByName(ref.records[0], records, tol);
        if (!res.ok) verification = { ...verification, passed: false };
      }
      disposeRecords(ref.records);
    }
  } finally {
    store.dispose();
  }
  res = withFirstDifference(res, verification, baseName);
  const shards = shardRows(records);
  const modules = moduleShapes(records);
  const report = buildReport({ spec, mesh, mode, res, shards, modules, verification, backend: opts.backend, script: opts.script, wallMs: performance.now() - s.t0 });
  disposeRecords(records);
  progress('done', 100, verification.skipped ?? (verification.passed ? 'verified' : 'not verified'));
  return report;

  /** Run the program on every rank, each rank's module calls recorded by name when `record`. */
  async function recorded(record: boolean, n: number, go: (onRank: Parameters<typeof simulate>[1]) => Promise<SimResult>, perRank = true): Promise<{ res: SimResult; records: (RankRecord | undefined)[] }> {
    const out: (RankRecord | undefined)[] = new Array(n).fill(undefined);
    const r = await go(async (ctx) => {
      const cap = record ? new ProgramCapture(ctx) : null;
      const own = (perRank && opts.rankFunctions?.(ctx.rank)?.program) || program;
      try {
        return await own(ctx, { weights: programWeights(ctx, store) });
      } finally {
        if (cap) out[ctx.rank] = cap.finish();
      }
    });
    return { res: r, records: out };
  }
}
