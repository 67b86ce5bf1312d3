import { getHardware, resolveHardwareId } from '../core/cost/index.js';
import type { LedgerEntry } from '../core/ledger.js';
import { Mesh } from '../core/mesh.js';
import type { SimResult } from '../core/simulate.js';
import type { TraceEvent } from '../core/trace.js';
import type { ModelSpec } from '../models/model.js';
import { buildReport, MAX_TIMELINE_EVENTS } from '../parallel/simulation/report-build.js';
import type { SimulationSpec } from '../parallel/simulation/spec.js';
import { exitCodeOf, type Report, type ReportError } from '../report/types.js';
import type { RunInfo } from './protocol.js';

export interface PartialRun {
  readonly info?: RunInfo;
  readonly script?: string;
  readonly backend?: string;
  readonly errors: readonly ReportError[];
  /** What was streamed before the run stopped. */
  readonly ledger?: readonly LedgerEntry[];
  readonly trace?: readonly TraceEvent[];
  /** What the run had recorded by then (its last tally), when it streamed less than that. */
  readonly recorded?: { readonly ledger: number; readonly trace: number };
  readonly wallMs: number;
}

/**
 * The report of a run that never produced its own: refused before it started (bad script,
 * memory limit), or stopped from outside (time limit, cancel, a crashed worker). It carries
 * whatever was streamed until then, and exit code 2.
 */
export function failureReport(p: PartialRun): Report {
  const info = p.info;
  let mesh: Mesh;
  try {
    mesh = new Mesh(info?.mesh ?? {});
  } catch {
    mesh = new Mesh({});
  }
  const hardware = getHardware(info?.hardware && resolveHardwareId(info.hardware) ? info.hardware : 'h100-sxm');
  const ledger = p.ledger ?? [];
  const trace = (p.trace ?? []).filter((e) => e.rank < mesh.worldSize);
  const clocks = new Array<number>(mesh.worldSize).fill(0);
  for (const e of trace) clocks[e.rank] = Math.max(clocks[e.rank], e.endUs);
  const res: SimResult = {
    ok: false,
    mesh,
    mode: info?.mode ?? 'numeric',
    hardware,
    ledger,
    trace: trace.slice(0, MAX_TIMELINE_EVENTS + 1),
    clocks,
    flops: clocks.map(() => 0),
    memory: clocks.map(() => ({ peakBytes: 0, persistentBytes: 0, peakTransientBytes: 0, tensors: 0 })),
    errors: [],
    returns: [],
    folded: { axes: [], representatives: [] },
    sharedOps: 0,
    wallMs: p.wallMs,
  };
  const model = info?.model;
  const spec: SimulationSpec = {
    mesh: info?.mesh ?? {},
    gpusPerNode: info?.gpusPerNode,
    input: info?.input,
    model: model ? ({ name: model.name, config: model.config, paramCount: () => model.params, layerPaths: () => [...model.layers] } as unknown as ModelSpec) : undefined,
  };
  const head = p.errors[0]?.headline ?? 'the run did not finish';
  const unsent = p.recorded && p.recorded.ledger > ledger.length ? `; the ledger holds the first ${ledger.length.toLocaleString('en-US')} of the ${p.recorded.ledger.toLocaleString('en-US')} entries recorded` : '';
  const report = buildReport({
    spec,
    mesh,
    mode: res.mode,
    res,
    shards: [],
    modules: [],
    verification: { passed: false, skipped: `the run did not finish: ${head}${unsent}`, outputs: [], grads: [] },
    backend: p.backend ?? info?.backend,
    script: p.script ?? info?.script,
    wallMs: p.wallMs,
  });
  const known = info !== undefined;
  return {
    ...report,
    mesh: known ? report.mesh : { axes: [], sizes: [], worldSize: 0, coords: [] },
    stages: known ? report.stages : [],
    timeline: known ? report.timeline : { ...report.timeline, perRank: [] },
    memory: known ? report.memory : { ...report.memory, perRank: [] },
    traffic: known ? report.traffic : { ...report.traffic, perRank: [] },
    errors: [...p.errors],
    exitCode: exitCodeOf(p.errors, false) === 3 ? 3 : 2,
  };
}
