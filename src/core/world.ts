import { getHardware, type HardwarePreset, type Algorithm, type CollectiveOp } from './cost/index.js';
import type { Phase } from './ledger.js';
import { LedgerLog, type LedgerKind } from './ledger-log.js';
import { Mesh } from './mesh.js';
import { Fold } from './fold.js';
import { ShareCache } from './share.js';
import type { Mode } from './context.js';
import type { SimError } from './errors.js';
import type { TraceEvent } from './trace.js';
import { TraceLog } from './trace-log.js';
import type { SourceLocation } from './source.js';
import { TALLY_EVERY, type RankState, type SimEvent, type StreamLimits } from './events.js';

export type SourceMode = 'all' | 'collectives' | 'none';

/**
 * Tensor-parallel communication in the backward: 'backward' overlaps a column-parallel layer's
 * dX collective (and SP's re-gather of its input) with its GEMMs, as Megatron's async
 * communication does (./async-grad.ts); 'none' blocks on each.
 */
export type TpOverlapMode = 'none' | 'backward';

export interface WorldOptions {
  readonly mesh: Mesh;
  readonly mode: Mode;
  readonly hardware: HardwarePreset;
  readonly gpusPerNode: number;
  readonly algorithms: Readonly<Partial<Record<CollectiveOp, Algorithm>>>;
  readonly seed: number;
  readonly sourceMode: SourceMode;
  readonly traceCompute: boolean;
  /** Default 'backward' (Megatron's). */
  readonly tpOverlap?: TpOverlapMode;
  readonly onEvent?: (e: SimEvent) => void;
  /** Past these, the listener hears tallies instead of each entry and event (default: no limit). */
  readonly streamLimits?: StreamLimits;
  /** Mesh axes folded by symmetry (meta mode). */
  readonly fold?: readonly string[];
  /** Compute replicated ops once (default on). */
  readonly share?: boolean;
}

/**
 * What all ranks of one run share: the mesh, the hardware, the ledger, the trace, and whether the
 * run has been stopped. Ranks never reach each other through here — only the collectives engine
 * moves data between them.
 */
export class World {
  readonly mesh: Mesh;
  readonly mode: Mode;
  readonly hardware: HardwarePreset;
  readonly gpusPerNode: number;
  readonly algorithms: Readonly<Partial<Record<CollectiveOp, Algorithm>>>;
  readonly seed: number;
  readonly sourceMode: SourceMode;
  readonly traceCompute: boolean;
  readonly tpOverlap: TpOverlapMode;
  /** Every collective and send/recv, in order (plain entries: `ledger.at(i)`). */
  readonly ledger = new LedgerLog();
  /** Every rank's timeline events, in order (as plain events: `trace.toArray()`). */
  readonly trace = new TraceLog(this.ledger);
  readonly computeFlops: Float64Array;
  aborted: SimError | null = null;
  /** performance.now() after which the run stops at the rank that is running (Infinity: no limit). */
  deadline = Infinity;
  timeLimitMs = 0;
  timeLimitFix: string | undefined = undefined;
  /** Counts RankContext.checkAlive calls: the clock is read every 256th. */
  aliveChecks = 0;
  /** Stops the run with `err` (set by simulate: aborts every waiting rank and records the error). */
  stop: (err: SimError) => void = (err) => {
    this.aborted ??= err;
  };
  readonly fold: Fold;
  /** Replicated computation done once (numeric runs of more than one rank). */
  readonly share: ShareCache | null;
  private readonly onEvent?: (e: SimEvent) => void;
  private readonly maxLedger: number;
  private readonly maxTrace: number;
  /** Entries and events recorded past the stream limits since the last tally. */
  private untallied = 0;
  /** The state last sent to the listener for each rank. */
  private readonly toldStates: (RankState | undefined)[] = [];

  constructor(o: WorldOptions) {
    this.mesh = o.mesh;
    this.mode = o.mode;
    this.hardware = o.hardware;
    this.gpusPerNode = o.gpusPerNode;
    this.algorithms = o.algorithms;
    this.seed = o.seed;
    this.sourceMode = o.sourceMode;
    this.traceCompute = o.traceCompute;
    this.tpOverlap = o.tpOverlap ?? 'backward';
    this.onEvent = o.onEvent;
    this.maxLedger = o.streamLimits?.ledger ?? Infinity;
    this.maxTrace = o.streamLimits?.trace ?? Infinity;
    this.computeFlops = new Float64Array(o.mesh.worldSize);
    this.fold = new Fold(o.mesh, o.fold ?? []);
    this.share = o.mode === 'numeric' && o.mesh.worldSize > 1 && o.share !== false ? new ShareCache() : null;
  }

  algorithmFor(op: CollectiveOp): Algorithm {
    return this.algorithms[op] ?? (op === 'all_to_all' || op === 'send_recv' ? 'direct' : 'ring');
  }

  /**
   * Record a ledger entry: its kind (what calls like it share) and its own fields. Returns its
   * seq (its position in the ledger); listeners get it as a plain object (up to the stream limit).
   */
  pushLedger(kind: LedgerKind, startUs: number, phase: Phase, source: SourceLocation | undefined, label: string | undefined, module: string | undefined): number {
    const seq = this.ledger.push(kind, startUs, phase, source, label, module);
    if (this.onEvent && this.streams(seq, this.maxLedger)) this.onEvent({ type: 'ledger', entry: this.ledger.at(seq) });
    return seq;
  }

  pushTrace(e: TraceEvent): void {
    const i = this.trace.length;
    this.trace.push(e);
    if (this.onEvent && this.streams(i, this.maxTrace)) this.onEvent({ type: 'trace', event: e });
  }

  /** Record the comm event of `rank` in collective `seq`, with the entry's phase, source and module. */
  pushComm(seq: number, rank: number, tag: string | undefined): void {
    this.trace.pushComm(seq, rank, tag);
    if (this.onEvent && this.streams(this.trace.length - 1, this.maxTrace)) this.onEvent({ type: 'trace', event: this.trace.comm(seq, rank, tag) });
  }

  /**
   * Whether the listener hears record `i` of a log one by one (below the log's limit `max`); past
   * it the record is counted instead, and every TALLY_EVERY of them make a tally.
   */
  private streams(i: number, max: number): boolean {
    if (i < max) return true;
    if (++this.untallied >= TALLY_EVERY) this.tally();
    return false;
  }

  /** Tell the listener how much the run has recorded, if some of it went unsent since the last tally. */
  tally(): void {
    if (this.untallied === 0 || !this.onEvent) return;
    this.untallied = 0;
    this.onEvent({ type: 'tally', ledger: this.ledger.length, trace: this.trace.length });
  }

  emit(e: SimEvent): void {
    this.onEvent?.(e);
  }

  /** Tell the listener a rank's state, when it is not the one last told for that rank (a rank blocks in every collective). */
  emitRankState(rank: number, state: RankState): void {
    if (!this.onEvent || this.toldStates[rank] === state) return;
    this.toldStates[rank] = state;
    this.onEvent({ type: 'rank-state', rank, state });
  }
}

export function defaultHardware(): HardwarePreset {
  return getHardware('h100-sxm');
}
