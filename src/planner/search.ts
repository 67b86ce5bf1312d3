/**
 * The planner: every dp × pp × tp of the cluster × micro-batch size × schedule (1F1B, interleaved
 * with v ∈ {2, 4}) × sequence parallelism × recomputation (none, selective, full) × ZeRO stage,
 * checked (./constraints.ts), sized (./memory.ts) and timed (./time.ts). The plans that fit are
 * ranked by step time (ties: the lower ZeRO stage, then less memory); the others are counted by
 * the reason they fail.
 *
 * Not enumerated because they never win: GPipe (1F1B has its bubble with less memory), sequence
 * parallelism at tp = 1 (nothing to split), ZeRO at dp = 1 (nothing to shard over), and selective
 * recomputation with FlashAttention (it already recomputes the attention core: same as none).
 */
import { FAILURE_TITLES, structuralFailure, type Failure, type FailureKind } from './constraints.js';
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
  readonly wallMs: number;
}

export interface SearchOptions {
  /** Micro-batch sizes to try (default 1, 2, 4, 8). */
  readonly microBatches?: readonly number[];
  /** Interleaving depths to try besides 1F1B (default 2, 4). */
  readonly virtualStages?: readonly number[];
  readonly recompute?: readonly Recompute[];
  readonly zero?: readonly ZeroStage[];
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

/** Every candidate plan for the cluster, in a fixed order. */
export function* candidates(setup: PlanSetup, o: SearchOptions = {}): Generator<ParallelPlan> {
  const N = setup.cluster.gpus;
  const mbs = o.microBatches ?? [1, 2, 4, 8];
  const vs = o.virtualStages ?? [2, 4];
  const recomputes = (o.recompute ?? ['none', 'selective', 'full']).filter((r) => !(r === 'selective' && setup.options.attention === 'flash'));
  const zeros = o.zero ?? [0, 1, 2, 3];
  for (const tp of divisors(N)) {
    for (const pp of divisors(N / tp)) {
      const dp = N / (tp * pp);
      const schedules: [PlanSchedule, number][] = [['1F1B', 1], ...(pp > 1 ? vs.map((v): [PlanSchedule, number] => ['Interleaved1F1B', v]) : [])];
      for (const microBatch of mbs) {
        for (const [schedule, virtual] of schedules) {
          for (const sequenceParallel of tp > 1 ? [false, true] : [false]) {
            for (const recompute of recomputes) {
              for (const zero of dp > 1 ? zeros : [0 as ZeroStage]) {
                yield { tp, pp, dp, microBatch, schedule, virtual, sequenceParallel, recompute, zero };
              }
            }
          }
        }
      }
    }
  }
}

const GiB = 2 ** 30;

/** Search every candidate; see the file comment. */
export function searchPlans(setup: PlanSetup, o: SearchOptions = {}): SearchResult {
  const t0 = performance.now();
  const ranked: PlanEstimate[] = [];
  const byKind = new Map<FailureKind, Map<string, number>>();
  let closest: { plan: ParallelPlan; overBytes: number } | undefined;
  let maxOver = 0;
  let examined = 0;
  const fail = (f: Failure) => {
    const m = byKind.get(f.kind) ?? new Map<string, number>();
    m.set(f.message, (m.get(f.message) ?? 0) + 1);
    byKind.set(f.kind, m);
  };
  for (const plan of candidates(setup, o)) {
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
    ranked.push({ plan, memory, time: estimateTime(setup, plan) });
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
  return { setup, ranked, failures, examined, wallMs: performance.now() - t0 };
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
    const key = `${p.tp}/${p.pp}/${p.dp}/${p.microBatch}/${p.schedule}/${p.virtual}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
