/**
 * The report of one simulation run: what the CLI prints and writes as JSON, what the panel and
 * the inline hints show. Plain data (JSON-safe); versioned by REPORT_SCHEMA_VERSION and
 * described by docs/report.schema.json.
 */
export const REPORT_SCHEMA_VERSION = 1;

export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface MeshInfo {
  readonly axes: readonly string[];
  readonly sizes: readonly number[];
  readonly worldSize: number;
  /** coords[rank] = { dp, pp, tp, ... } */
  readonly coords: readonly Readonly<Record<string, number>>[];
}

export interface StageInfo {
  readonly stage: number;
  readonly ranks: readonly number[];
  readonly layers: readonly string[];
}

export interface ShardInfo {
  readonly module: string;
  readonly param: string;
  readonly rank: number;
  readonly globalShape: readonly number[];
  readonly localShape: readonly number[];
  /** "Shard(1)", "Replicate", "Partial" */
  readonly placement: string;
  readonly kind: string;
  readonly source?: SourceRef;
}

export interface ModuleShapeInfo {
  readonly module: string;
  readonly kind: string;
  readonly rank: number;
  readonly outputShape: readonly number[];
  readonly denseOutputShape?: readonly number[];
  readonly source?: SourceRef;
}

export interface CollectiveInfo {
  readonly seq: number;
  readonly op: string;
  readonly reduceOp?: string;
  readonly axis?: string;
  readonly group: string;
  readonly ranks: readonly number[];
  readonly phase: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly elements: number;
  readonly bytes: number;
  readonly algorithm: string;
  readonly sentBytes: readonly number[];
  readonly sentBytesPerRank: number;
  readonly wireBytes: number;
  readonly steps: number;
  readonly link: string;
  readonly startUs: number;
  readonly timeUs: number;
  readonly label?: string;
  readonly module?: string;
  readonly source?: SourceRef;
  /** Identical groups across the world this entry stands for (symmetry folding in meta mode). */
  readonly multiplicity: number;
}

export interface TimelineEvent {
  readonly rank: number;
  readonly kind: 'compute' | 'comm' | 'wait';
  readonly name: string;
  readonly phase: string;
  readonly startUs: number;
  readonly endUs: number;
  readonly module?: string;
  readonly tag?: string;
  readonly ledgerSeq?: number;
  readonly source?: SourceRef;
}

export interface TimelineInfo {
  readonly stepTimeUs: number;
  readonly perRank: readonly { readonly rank: number; readonly computeUs: number; readonly commUs: number; readonly waitUs: number; readonly endUs: number }[];
  /**
   * Idle fraction of the step, averaged over ranks: time with no compute and no blocking
   * communication (pipeline bubbles and waits; sends that overlap compute are not idle).
   */
  readonly bubbleFraction: number;
  /** Events (may be truncated for huge runs; `truncated` says so). */
  readonly events: readonly TimelineEvent[];
  readonly truncated: boolean;
}

/** Pipeline schedule facts: the bubble measured on the timeline beside (p−1)/(v·m). */
export interface PipelineInfo {
  readonly schedule: string;
  readonly stages: number;
  readonly microbatches: number;
  readonly virtual: number;
  /** (step − compute) / compute, averaged over stages. */
  readonly bubbleMeasured: number;
  readonly bubblePerStage: readonly number[];
  /** (p−1)/(v·m), Narayanan et al. 2021. */
  readonly bubbleFormula: number;
  /**
   * Most micro-batches whose activations one stage held at once — with v > 1 model chunks per
   * rank, chunk-micro-batches (one micro-batch's activations of one chunk).
   */
  readonly peakStash: readonly number[];
  /** Busy time (compute and collectives, not the pipeline's sends and receives) of each stage over the step, µs. */
  readonly stageBusyUs?: readonly number[];
  /**
   * Present when the stages' busy times differ by more than 5 %: the bubble the per-stage times
   * predict, t_s = busy_s / m per micro-batch — step ≈ max_k (Σ_{s<k} t_s / v + m·t_k + the part of
   * the first micro-batch's round trip through the later stages that k's warm-up does not cover),
   * bubble of stage s = (step − m·t_s)/(m·t_s), averaged (pipeline/run.ts unevenBubble) — to read
   * beside (p−1)/(v·m), which assumes equal stages.
   */
  readonly bubbleUneven?: number;
  /** Meta mode: micro-batch stretches (a chunk's forward or backward on one rank) replayed from the record of identical earlier ones. */
  readonly replayed?: number;
}

export interface MemoryInfo {
  readonly perRank: readonly { readonly rank: number; readonly peakBytes: number; readonly persistentBytes: number; readonly peakTransientBytes: number }[];
  readonly deviceBytes: number;
  readonly fits: boolean;
}

export interface ErrorCheck {
  readonly name: string;
  readonly kind: 'output' | 'loss' | 'grad' | 'input-grad';
  readonly maxAbs: number;
  readonly maxRel: number;
  readonly tolerance: number;
  readonly passed: boolean;
  readonly shape?: readonly number[];
  readonly source?: SourceRef;
  readonly note?: string;
}

export interface Divergence {
  readonly where: string;
  readonly kind: ErrorCheck['kind'];
  readonly message: string;
  readonly maxAbs: number;
  readonly source?: SourceRef;
  /** The module's construction site, when `source` is a line inside it. */
  readonly builtAt?: SourceRef;
  readonly rank?: number;
}

export interface VerificationInfo {
  readonly passed: boolean;
  readonly skipped?: string;
  /** What the run was compared with: the unsharded model (a spec's model), or the same file at world size 1 (a PyTorch file, a custom program). */
  readonly reference?: 'unsharded-model' | 'world-size-1';
  readonly loss?: { readonly sharded: number; readonly reference: number };
  readonly outputs: readonly ErrorCheck[];
  readonly grads: readonly ErrorCheck[];
  readonly firstDivergence?: Divergence;
}

/** 0 verified, 1 verification failed, 2 bad input or script error, 3 AutoDist itself failed. */
export type ExitCode = 0 | 1 | 2 | 3;

/** A report's exit code: an internal error (AutoDist's own failure) is never read as "verification failed". */
export function exitCodeOf(errors: readonly Pick<ReportError, 'kind'>[], verified: boolean): ExitCode {
  if (errors.some((e) => e.kind === 'internal')) return 3;
  return errors.length ? 2 : verified ? 0 : 1;
}

export interface ReportError {
  readonly kind: string;
  readonly message: string;
  readonly headline: string;
  readonly fix?: string;
  readonly ranks: readonly { readonly rank: number; readonly detail: string; readonly source?: SourceRef }[];
  readonly source?: SourceRef;
}

export interface ReportWarning {
  readonly message: string;
  readonly fix?: string;
  readonly source?: SourceRef;
}

export interface TrafficSummary {
  readonly byPhase: Readonly<Record<string, { readonly count: number; readonly bytes: number; readonly wireBytes: number }>>;
  readonly byOp: Readonly<Record<string, { readonly count: number; readonly bytes: number; readonly wireBytes: number }>>;
  readonly byAxis: Readonly<Record<string, { readonly count: number; readonly bytes: number; readonly wireBytes: number }>>;
  readonly perRank: readonly { readonly rank: number; readonly sentBytes: number; readonly recvBytes: number }[];
  readonly totalBytes: number;
  readonly totalWireBytes: number;
}

export interface Report {
  readonly schemaVersion: number;
  readonly tool: { readonly name: 'autodist'; readonly version: string };
  readonly script?: string;
  readonly model?: { readonly name: string; readonly params: number; readonly config: unknown };
  readonly mode: 'numeric' | 'meta';
  readonly backend?: string;
  readonly hardware: { readonly id: string; readonly name: string; readonly gpusPerNode: number };
  readonly batch?: { readonly batch: number; readonly seq: number; readonly microbatches: number };
  readonly mesh: MeshInfo;
  /** Meta-mode symmetry folding: the axes folded and the ranks that ran (others mirror them). */
  readonly folded?: { readonly axes: readonly string[]; readonly representatives: readonly number[] };
  readonly stages: readonly StageInfo[];
  readonly pipeline?: PipelineInfo;
  readonly shards: readonly ShardInfo[];
  readonly modules: readonly ModuleShapeInfo[];
  readonly collectives: readonly CollectiveInfo[];
  readonly traffic: TrafficSummary;
  readonly timeline: TimelineInfo;
  readonly memory: MemoryInfo;
  readonly verification: VerificationInfo;
  readonly errors: readonly ReportError[];
  /** What ran but may not mean what the person expects (ranks that share module-level state), at the line. */
  readonly warnings?: readonly ReportWarning[];
  readonly wallMs: number;
  /** 0 verified, 1 verification failed, 2 bad input or script error, 3 AutoDist itself failed (kind "internal"). */
  readonly exitCode: ExitCode;
}
