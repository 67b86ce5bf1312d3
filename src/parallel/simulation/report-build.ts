import type { Mesh } from '../../core/mesh.js';
import type { LedgerEntry } from '../../core/ledger.js';
import { isStreamWait, onStream, type TraceEvent } from '../../core/trace.js';
import { fmtPlacement } from '../../core/placement.js';
import type { SimResult } from '../../core/simulate.js';
import type { SourceLocation } from '../../core/source.js';
import type { Tensor } from '../../core/tensor.js';
import type { SimError } from '../../core/errors.js';
import { exitCodeOf, REPORT_SCHEMA_VERSION, type PipelineInfo, type StageInfo, type CollectiveInfo, type Report, type ReportError, type TimelineEvent, type TrafficSummary, type VerificationInfo } from '../../report/types.js';
import type { SimulationSpec } from './spec.js';
import { summarizeTraffic } from '../../report/traffic-summary.js';
import { maxOf } from '../../report/format.js';

export const VERSION = '0.1.0';

/** Timeline events kept in a report; beyond this the report says it is truncated. */
export const MAX_TIMELINE_EVENTS = 50_000;

export interface ShardRecordRow {
  readonly rank: number;
  readonly module: string;
  readonly param: string;
  readonly kind: string;
  readonly tensor: Tensor;
  readonly builtAt?: SourceLocation;
}

export interface ModuleShape {
  readonly rank: number;
  readonly module: string;
  readonly kind: string;
  readonly outputShape: readonly number[];
  readonly builtAt?: SourceLocation;
}

export interface BuildInput {
  readonly spec: SimulationSpec;
  readonly mesh: Mesh;
  readonly mode: 'numeric' | 'meta';
  readonly res: SimResult;
  readonly shards: readonly ShardRecordRow[];
  readonly modules: readonly ModuleShape[];
  readonly verification: VerificationInfo;
  readonly backend?: string;
  readonly script?: string;
  readonly wallMs: number;
  readonly stages?: readonly StageInfo[];
  readonly pipeline?: PipelineInfo;
}

/** Turn a run's raw records into the JSON-safe report. */
export function buildReport(b: BuildInput): Report {
  const { res, mesh } = b;
  const hw = res.hardware;
  const coords = Array.from({ length: mesh.worldSize }, (_, r) => ({ ...mesh.coords(r) }));
  const collectives: CollectiveInfo[] = res.ledger.map(collectiveInfo);
  // the unsharded model's output shape of each module, as the verifier compared it ("model" is the root)
  const denseShapes = new Map<string, readonly number[]>();
  for (const c of b.verification.outputs) if (c.kind === 'output' && c.shape) denseShapes.set(c.name === 'model' ? '' : c.name, c.shape);
  const errors = res.errors.map(toReportError);
  const exitCode = exitCodeOf(errors, b.verification.passed);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'autodist', version: VERSION },
    script: b.script,
    model: b.spec.model ? { name: b.spec.model.name, params: b.spec.model.paramCount(), config: b.spec.model.config } : undefined,
    mode: b.mode,
    backend: b.backend,
    hardware: { id: hw.id, name: hw.name, gpusPerNode: b.spec.gpusPerNode ?? hw.gpusPerNode },
    batch: b.spec.input ? { batch: b.spec.input.batch, seq: b.spec.input.seq, microbatches: b.spec.input.microbatches ?? 1 } : undefined,
    mesh: { axes: [...mesh.axes], sizes: [...mesh.sizes], worldSize: mesh.worldSize, coords },
    folded: res.folded.axes.length ? { axes: [...res.folded.axes], representatives: [...res.folded.representatives] } : undefined,
    stages: b.stages ?? stagesOf(b),
    pipeline: b.pipeline,
    shards: b.shards.map((s) => ({
      module: s.module,
      param: s.param,
      rank: s.rank,
      globalShape: [...(s.tensor.global?.shape ?? s.tensor.shape)],
      localShape: [...s.tensor.shape],
      placement: fmtPlacement(s.tensor.placement),
      kind: s.kind,
      source: src(s.builtAt),
    })),
    modules: b.modules.map((m) => ({ module: m.module, kind: m.kind, rank: m.rank, outputShape: [...m.outputShape], denseOutputShape: denseShapes.get(m.module), source: src(m.builtAt) })),
    collectives,
    traffic: traffic(collectives, mesh, res.folded.axes),
    timeline: timeline(res),
    memory: {
      perRank: res.memory.map((m, rank) => ({ rank, peakBytes: m.peakBytes, persistentBytes: m.persistentBytes, peakTransientBytes: m.peakTransientBytes })),
      deviceBytes: hw.memoryBytes,
      fits: res.memory.every((m) => m.peakBytes <= hw.memoryBytes),
    },
    verification: b.verification,
    errors,
    wallMs: b.wallMs,
    exitCode,
  };
}

function stagesOf(b: BuildInput) {
  const mesh = b.mesh;
  const pp = mesh.has('pp') ? mesh.size('pp') : 1;
  const layers = b.spec.model?.layerPaths() ?? [];
  return Array.from({ length: pp }, (_, stage) => ({
    stage,
    ranks: Array.from({ length: mesh.worldSize }, (_, r) => r).filter((r) => (mesh.has('pp') ? mesh.coord(r, 'pp') : 0) === stage),
    layers: pp === 1 ? layers : [],
  }));
}

/** The traffic summary; a folded-away rank mirrors its representative (coordinates 0 on the folded axes). */
function traffic(cs: readonly CollectiveInfo[], mesh: Mesh, foldAxes: readonly string[]): TrafficSummary {
  const repOf = (r: number) => {
    const c = { ...mesh.coords(r) };
    for (const a of foldAxes) c[a] = 0;
    return mesh.rankOf(c);
  };
  return summarizeTraffic(cs, mesh.worldSize, foldAxes.length ? repOf : undefined);
}

function timeline(res: SimResult) {
  const n = res.clocks.length;
  const compute = new Float64Array(n);
  const comm = new Float64Array(n);
  const wait = new Float64Array(n);
  // sends are posted and overlap what the rank does next: communication, but not what keeps it busy
  const sending = new Float64Array(n);
  // the compute waiting for its own communication stream: the exposed part of an overlapped
  // collective, blocking communication (not idle)
  const exposed = new Float64Array(n);
  for (const e of res.trace) {
    const d = e.endUs - e.startUs;
    if (e.kind === 'compute') compute[e.rank] += d;
    else if (e.kind === 'comm') {
      comm[e.rank] += d;
      if (e.name === 'send' || onStream(e)) sending[e.rank] += d; // overlaps what the rank does next
    } else {
      wait[e.rank] += d;
      if (isStreamWait(e)) exposed[e.rank] += d;
    }
  }
  if (res.folded.axes.length) {
    // mirrors did what their representative did
    for (let r = 0; r < n; r++) {
      const c = { ...res.mesh.coords(r) };
      for (const a of res.folded.axes) c[a] = 0;
      const rep = res.mesh.rankOf(c);
      compute[r] = compute[rep];
      comm[r] = comm[rep];
      wait[r] = wait[rep];
      sending[r] = sending[rep];
      exposed[r] = exposed[rep];
    }
  }
  const step = maxOf(res.clocks, 0);
  let idle = 0;
  const perRank = Array.from({ length: n }, (_, rank) => {
    // idle: neither computing nor blocked in a collective or a receive (or on an overlapped one's end)
    const busy = Math.min(step, compute[rank] + comm[rank] - sending[rank] + exposed[rank]);
    idle += step > 0 ? (step - busy) / step : 0;
    return { rank, computeUs: compute[rank], commUs: comm[rank], waitUs: wait[rank], endUs: res.clocks[rank] };
  });
  const events: TimelineEvent[] = [];
  for (const e of res.trace) {
    if (events.length >= MAX_TIMELINE_EVENTS) break;
    events.push(timelineEvent(e));
  }
  return { stepTimeUs: step, perRank, bubbleFraction: n ? idle / n : 0, events, truncated: res.trace.length > MAX_TIMELINE_EVENTS };
}

/** A ledger entry as the report (and the live panel) shows it. */
export function collectiveInfo(e: LedgerEntry): CollectiveInfo {
  return {
    seq: e.seq,
    op: e.op,
    reduceOp: e.reduceOp,
    axis: e.axis,
    group: e.group,
    ranks: [...e.ranks],
    phase: e.phase,
    dtype: e.dtype,
    shape: [...e.shape],
    elements: e.elements,
    bytes: e.bytes,
    algorithm: e.algorithm,
    sentBytes: [...e.sentBytes],
    sentBytesPerRank: e.sentBytesPerRank,
    wireBytes: e.wireBytes,
    steps: e.steps,
    link: e.link,
    startUs: e.startUs,
    timeUs: e.timeUs,
    label: e.label,
    module: e.module,
    source: src(e.source),
    multiplicity: e.multiplicity ?? 1,
  };
}

/** A trace event as the report (and the live panel) shows it. */
export function timelineEvent(e: TraceEvent): TimelineEvent {
  return { rank: e.rank, kind: e.kind, name: e.name, phase: e.phase, startUs: e.startUs, endUs: e.endUs, module: e.module || undefined, tag: e.tag, ledgerSeq: e.ledgerSeq, source: src(e.source) };
}

function src(s: SourceLocation | undefined) {
  return s ? { file: s.file, line: s.line, column: s.column } : undefined;
}

export function toReportError(e: SimError): ReportError {
  return {
    kind: e.kind,
    message: e.message,
    headline: e.headline,
    fix: e.fix,
    ranks: e.ranks.map((r) => ({ rank: r.rank, detail: r.detail, source: src(r.source) })),
    source: src(e.source),
  };
}
