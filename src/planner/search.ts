/**
 * The planner: every tp × cp × pp × dp of the cluster × micro-batch size × schedule (1F1B,
 * interleaved with any v from 2 to 8 the layers fill, evenly or with the first and last stage one
 * layer short) × sequence parallelism × recomputation (none, selective, full — full then cut to the
 * fewest layers per chunk that fit: partial recompute) × ZeRO stage, checked (./constraints.ts),
 * sized (./memory.ts) and timed (./time.ts). Dimensions can be held fixed (a forced layout: all of
 * them → exactly one plan), and the search stops after a cap, saying so. The plans that fit are
 * ranked by step time (ties: the lower ZeRO stage, then less memory); the others are counted by
 * the reason they fail. Context parallelism is tried where each rank keeps ≥ 4,096 tokens.
 *
 * Not enumerated because they never win: GPipe (1F1B has its bubble with less memory), sequence
 * parallelism at tp = 1 (nothing to split), ZeRO at dp = 1 (nothing to shard over), and selective
 * recomputation with FlashAttention (it already recomputes the attention core: same as none).
 */
import { FAILURE_TITLES, structuralFailure, type Failure, type FailureKind } from './constraints.js';
import { chunkLayers } from './layout.js';
import { estimateMemory, type MemoryEstimate } from './memory.js';
import type { ParallelPlan, PlanSchedule, PlanSetup, Recompute, ZeroStage } from './plan.js';
import { estimateTime, type TimeEstimate } from './time.js';

export interface PlanEstimate {
  readonly plan: ParallelPlan;
  readonly memory: MemoryEstimate;
  readonly time: TimeEstimate;
}

export interface FailureGroup {
  readonly kind: FailureKind;
  readonly title: string;
  /** Plans that fail for this kind of reason. */
  readonly count: number;
  /** The distinct reasons, most frequent first, each with its count. */
  readonly reasons: readonly { readonly message: string; readonly count: number }[];
  /** OOM only: the plan that misses by the least, and by how many bytes. */
  readonly closest?: { readonly plan: ParallelPlan; readonly overBytes: number };
  /** OOM only: the smallest and largest shortfall, bytes. */
  readonly overRange?: readonly [number, number];
}

export interface SearchResult {
  readonly setup: PlanSetup;
  /** Plans that fit, fastest first. */
  readonly ranked: readonly PlanEstimate[];
  readonly failures: readonly FailureGroup[];
  readonly examined: number;
  /** The search stopped at `SearchOptions.maxExamined` candidates: some plans were not looked at. */
  readonly capped: boolean;
  /** The dimensions the search was held to (a forced layout), as given. */
  readonly fixed: FixedLayout;
  readonly wallMs: number;
}

/** Dimensions of a plan held fixed: the search varies only the others (all given: exactly one plan). */
export type FixedLayout = Partial<Pick<ParallelPlan, 'tp' | 'pp' | 'dp' | 'cp' | 'virtual' | 'microBatch' | 'sequenceParallel' | 'recompute' | 'recomputeLayers' | 'zero'>>;

export interface SearchOptions {
  /** Micro-batch sizes to try (default 1, 2, 4, 8). */
  readonly microBatches?: readonly number[];
  /** Interleaving depths to try besides 1F1B (default: every v from 2 to 8 the layers can be laid out on). */
  readonly virtualStages?: readonly number[];
  readonly recompute?: readonly Recompute[];
  readonly zero?: readonly ZeroStage[];
  /** Hold these dimensions fixed (`autodist plan --tp 8 --pp 16 …`). */
  readonly fixed?: FixedLayout;
  /** Stop after this many candidates (default 2,000,000), saying so in the result. */
  readonly maxExamined?: number;
}

/** Divisors of n, ascending. */
export function divisors(n: number): number[] {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d !== 0) continue;
    lo.push(d);
    if (d * d !== n) hi.unshift(n / d);
  }
  return [...lo, ...hi];
}

/** The default cap on candidates a search examines. */
export const MAX_EXAMINED = 2_000_000;

/**
 * Context-parallel sizes worth trying: 1, and the divisors d of the GPUs left that keep ≥ 4,096
 * tokens per rank and cut the sequence into 2·d equal chunks (ring attention pays off only for
 * long sequences; below that its K/V exchange and smaller GEMMs cost more than they save).
 */
function cpChoices(gpusLeft: number, seq: number): number[] {
  return divisors(gpusLeft).filter((d) => d === 1 || (seq / d >= 4096 && seq % (2 * d) === 0));
}

/** Interleaving depths v ≥ 2 (up to 8) whose chunks the layers fill, evenly or one short at each end. */
function interleaveDepths(layers: number, pp: number): number[] {
  const out: number[] = [];
  for (let v = 2; v <= 8 && pp * v <= layers + 2; v++) if (typeof chunkLayers(layers, pp, v) !== 'string') out.push(v);
  return out;
}

/** Every candidate plan for the cluster, in a fixed order (only those matching `o.fixed`). */
export function* candidates(setup: PlanSetup, o: SearchOptions = {}): Generator<ParallelPlan> {
  const N = setup.cluster.gpus;
  const f = o.fixed ?? {};
  const allFixed = f.tp !== undefined && f.pp !== undefined && f.dp !== undefined;
  const mbs = f.microBatch !== undefined ? [f.microBatch] : (o.microBatches ?? [1, 2, 4, 8]);
  const recomputes = f.recompute !== undefined ? [f.recompute] : (o.recompute ?? ['none', 'selective', 'full']).filter((r) => !(r === 'selective' && setup.options.attention === 'flash'));
  const zeros = o.zero ?? [0, 1, 2, 3];
  for (const tp of f.tp !== undefined ? [f.tp] : divisors(N)) {
    if (!allFixed && N % tp !== 0) continue;
    for (const cp of f.cp !== undefined ? [f.cp] : allFixed ? [1] : cpChoices(N / tp, setup.seq)) {
      if (!allFixed && (N / tp) % cp !== 0) continue;
      for (const pp of f.pp !== undefined ? [f.pp] : divisors(N / (tp * cp))) {
        const dp = f.dp ?? N / (tp * cp * pp);
        if (!allFixed && !Number.isInteger(dp)) continue;
        const vs = f.virtual !== undefined ? [f.virtual] : [1, ...(pp > 1 ? (o.virtualStages ?? interleaveDepths(setup.shape.layers, pp)) : [])];
        for (const microBatch of mbs) {
          for (const virtual of vs) {
            const schedule: PlanSchedule = virtual > 1 ? 'Interleaved1F1B' : '1F1B';
            for (const sequenceParallel of f.sequenceParallel !== undefined ? [f.sequenceParallel] : tp > 1 ? [false, true] : [false]) {
              for (const recompute of recomputes) {
                for (const zero of f.zero !== undefined ? [f.zero] : dp * cp > 1 ? zeros : [0 as ZeroStage]) {
                  yield {
                    tp,
                    pp,
                    dp,
                    microBatch,
                    schedule,
                    virtual,
                    sequenceParallel,
                    recompute,
                    zero,
                    ...(cp !== 1 ? { cp } : {}),
                    ...(f.recomputeLayers !== undefined ? { recomputeLayers: f.recomputeLayers } : {}),
                  };
                }
              }
            }
          }
        }
      }
    }
  }
}

const GiB = 2 ** 30;

/**
 * With recompute 'full' on every layer fitting, the fewest layers per chunk that still fit
 * (partial recompute: fewer recomputed layers, less time). The plan unchanged when all are needed.
 */
function fewestRecomputed(setup: PlanSetup, plan: ParallelPlan): { plan: ParallelPlan; memory: MemoryEstimate } | undefined {
  const cl = chunkLayers(setup.shape.layers, plan.pp, plan.virtual);
  if (typeof cl === 'string') return undefined;
  const most = Math.max(...cl);
  let lo = 1;
  let hi = most; // fits (checked by the caller)
  let best: { plan: ParallelPlan; memory: MemoryEstimate } | undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const p = { ...plan, recomputeLayers: mid };
    const memory = estimateMemory(setup, p);
    if (memory.fits) {
      hi = mid;
      best = { plan: p, memory };
    } else lo = mid + 1;
  }
  return best && best.plan.recomputeLayers! < most ? best : undefined;
}

/** Search every candidate (up to the cap); see the file comment. */
export function searchPlans(setup: PlanSetup, o: SearchOptions = {}): SearchResult {
  const t0 = performance.now();
  const ranked: PlanEstimate[] = [];
  const byKind = new Map<FailureKind, Map<string, number>>();
  let closest: { plan: ParallelPlan; overBytes: number } | undefined;
  let maxOver = 0;
  let examined = 0;
  let capped = false;
  const cap = o.maxExamined ?? MAX_EXAMINED;
  const fail = (f: Failure) => {
    const m = byKind.get(f.kind) ?? new Map<string, number>();
    m.set(f.message, (m.get(f.message) ?? 0) + 1);
    byKind.set(f.kind, m);
  };
  for (const plan of candidates(setup, o)) {
    if (examined >= cap) {
      capped = true;
      break;
    }
    examined++;
    const bad = structuralFailure(setup, plan);
    if (bad) {
      fail(bad);
      continue;
    }
    const memory = estimateMemory(setup, plan);
    if (!memory.fits) {
      const over = -memory.marginBytes;
      fail({ kind: 'oom', message: oomMessage(over) });
      if (!closest || over < closest.overBytes) closest = { plan, overBytes: over };
      maxOver = Math.max(maxOver, over);
      continue;
    }
    const partial = plan.recompute === 'full' && plan.recomputeLayers === undefined && o.fixed?.recomputeLayers === undefined ? fewestRecomputed(setup, plan) : undefined;
    const chosen = partial ?? { plan, memory };
    ranked.push({ plan: chosen.plan, memory: chosen.memory, time: estimateTime(setup, chosen.plan) });
  }
  ranked.sort((a, b) => a.time.stepUs - b.time.stepUs || a.plan.zero - b.plan.zero || a.memory.peak.total - b.memory.peak.total);
  const failures: FailureGroup[] = [...byKind.entries()]
    .map(([kind, reasons]) => ({
      kind,
      title: FAILURE_TITLES[kind],
      count: [...reasons.values()].reduce((a, b) => a + b, 0),
      reasons: [...reasons.entries()].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
      ...(kind === 'oom' && closest ? { closest, overRange: [closest.overBytes, maxOver] as const } : {}),
    }))
    .sort((a, b) => b.count - a.count);
  return { setup, ranked, failures, examined, capped, fixed: o.fixed ?? {}, wallMs: performance.now() - t0 };
}

/** "OOM by 12.4 GiB" (bucketed so plans that miss by about as much group together). */
export function oomMessage(overBytes: number): string {
  const g = overBytes / GiB;
  if (g < 1) return 'OOM by < 1 GiB';
  if (g < 10) return `OOM by ${Math.floor(g)}–${Math.floor(g) + 1} GiB`;
  const decade = 10 ** Math.floor(Math.log10(g));
  const lo = Math.floor(g / decade) * decade;
  return `OOM by ${lo}–${lo + decade} GiB`;
}

/** The fastest plan of each layout (tp, pp, dp, micro-batch, schedule), in rank order: what a table shows. */
export function bestPerLayout(ranked: readonly PlanEstimate[]): PlanEstimate[] {
  const seen = new Set<string>();
  const out: PlanEstimate[] = [];
  for (const e of ranked) {
    const p = e.plan;
    const key = `${p.tp}/${p.cp ?? 1}/${p.pp}/${p.dp}/${p.microBatch}/${p.schedule}/${p.virtual}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
