/**
 * Planner benchmarks (same shape as ./suite.ts's BENCHES):
 *   planner.search-70b-1024gpus   the whole search for Llama-3-70B on 1,024 H100s ≤ 5 s
 *   planner.meta-405b-16384ranks  one meta-mode training step of Llama-3.1-405B on 16,384 ranks
 *                                 (tp 8 × pp 16 × dp 128, 16 micro-batches, 1F1B, SP) through
 *                                 runSimulation, dp and tp folded by symmetry ≤ 10 s
 *   planner.agreement-8b-70b      the planner's and the meta simulation's step time and peak memory for
 *                                 the top plan (that the simulator can run) of Llama-3-8B on 16 H100s and
 *                                 Llama-3-70B on 64 H100s (global batch 32) — printed side by side; passes when both run
 *                                 and agree within 5 % on step time and peak memory (both overlap TP communication in the
 *                                 backward as Megatron does; the planner with TP blocking is printed beside). Here, not in
 *                                 test/planner/simulate.test.ts: the two simulations take ~20 s.
 * Each prints the process's peak memory (resident set and V8 heap, sampled every 10 ms).
 */
import { agreement, planToSpec, simulatorGap } from '../src/planner/spec.js';
import { makeSetup } from '../src/planner/setup.js';
import { bestPerLayout, searchPlans } from '../src/planner/search.js';
import { describePlan } from '../src/planner/plan.js';
import { runSimulation } from '../src/parallel/simulation/run.js';
import type { Bench, BenchResult } from './suite.js';

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

/** Run `fn`, sampling process.memoryUsage() for its peak. */
async function withPeakMemory<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number; peakRss: number; peakHeap: number }> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 10);
  const t0 = performance.now();
  try {
    const value = await fn();
    sample();
    return { value, seconds: (performance.now() - t0) / 1000, peakRss, peakHeap };
  } finally {
    clearInterval(timer);
  }
}

const search70b: Bench = {
  id: 'planner.search-70b-1024gpus',
  async run(): Promise<BenchResult> {
    const setup = makeSetup({ model: 'llama-3-70b', gpus: 1024, gpu: 'h100', seq: 8192, globalBatch: 1024 });
    const { value: r, seconds, peakRss, peakHeap } = await withPeakMemory(() => searchPlans(setup));
    const best = bestPerLayout(r.ranked)[0];
    return {
      id: this.id,
      pass: seconds <= 5 && r.ranked.length > 0,
      summary: `${seconds.toFixed(2)} s for ${r.examined.toLocaleString('en-US')} plans${r.capped ? ' (capped)' : ''}, ${r.ranked.length.toLocaleString('en-US')} fit (target ≤ 5 s); peak RSS ${mib(peakRss)}, heap ${mib(peakHeap)}`,
      details: best ? [`best: ${describePlan(best.plan)} — step ${(best.time.stepUs / 1e6).toFixed(2)} s, MFU ${(100 * best.time.mfu).toFixed(1)} %, ${(best.memory.peak.total / 2 ** 30).toFixed(1)} GiB/GPU`] : [],
    };
  },
};

const meta405b: Bench = {
  id: 'planner.meta-405b-16384ranks',
  async run(): Promise<BenchResult> {
    const setup = makeSetup({ model: 'llama-3-405b', gpus: 16384, gpu: 'h100', seq: 8192, globalBatch: 2048 });
    const plan = { tp: 8, pp: 16, dp: 128, microBatch: 1, schedule: '1F1B' as const, virtual: 1, sequenceParallel: true, recompute: 'none' as const, zero: 1 as const };
    const { value: r, seconds, peakRss, peakHeap } = await withPeakMemory(() => runSimulation(planToSpec(plan, setup)));
    return {
      id: this.id,
      pass: seconds <= 10 && r.errors.length === 0,
      summary: `${seconds.toFixed(2)} s for one meta-mode step on ${r.mesh.worldSize.toLocaleString('en-US')} ranks (target ≤ 10 s); peak RSS ${mib(peakRss)}, heap ${mib(peakHeap)}`,
      details: [
        `folded along ${r.folded?.axes.join(', ') ?? 'nothing'}: ${r.folded?.representatives.length ?? r.mesh.worldSize} ranks ran; ${r.collectives.length.toLocaleString('en-US')} ledger entries; simulated step ${(r.timeline.stepTimeUs / 1e6).toFixed(1)} s`,
        ...r.errors.map((e) => e.headline),
      ],
    };
  },
};

const agreementBench: Bench = {
  id: 'planner.agreement-8b-70b',
  async run(): Promise<BenchResult> {
    const cases = [
      { model: 'llama-3-8b', gpus: 16, seq: 4096, globalBatch: 64 },
      { model: 'llama-3-70b', gpus: 64, seq: 8192, globalBatch: 32 },
    ];
    const details: string[] = [];
    let ok = true;
    const t0 = performance.now();
    for (const c of cases) {
      const setup = makeSetup({ ...c, gpu: 'h100' });
      const top = searchPlans(setup).ranked.find((e) => simulatorGap(e.plan) === undefined);
      if (!top) {
        ok = false;
        details.push(`${c.model}: no plan the simulator can run`);
        continue;
      }
      const report = await runSimulation(planToSpec(top.plan, setup), { backend: 'meta (shapes only)' });
      if (report.errors.length) ok = false;
      const a = agreement(setup, top.plan, report);
      const r = (x: number, y: number) => `${(x / y).toFixed(3)}×`;
      // the goal, a gate: step time and peak memory within 5 % of the planner's for each top plan
      if (Math.abs(a.simulator.stepUs / a.equivalent.stepUs - 1) > 0.05 || Math.abs(a.simulator.peakBytes / a.equivalent.peakBytes - 1) > 0.05) ok = false;
      details.push(
        `${c.model} on ${c.gpus} GPUs, ${describePlan(top.plan)}: step ${(a.planner.stepUs / 1e6).toFixed(2)} s planner, ${(a.tpBlocking.stepUs / 1e6).toFixed(2)} s planner with TP blocking, ${(a.simulator.stepUs / 1e6).toFixed(2)} s simulator ` +
          `(${r(a.simulator.stepUs, a.planner.stepUs)} of the planner, ${r(a.simulator.stepUs, a.tpBlocking.stepUs)} of it with TP blocking); ` +
          `peak ${(a.planner.peakBytes / 2 ** 30).toFixed(1)} GiB planner, ${(a.simulator.peakBytes / 2 ** 30).toFixed(1)} GiB simulator (${r(a.simulator.peakBytes, a.planner.peakBytes)})`,
      );
    }
    return { id: this.id, pass: ok, summary: `planner vs meta simulation for 2 top plans in ${((performance.now() - t0) / 1000).toFixed(1)} s (simulation / planner; gate 1.00 ± 0.05)`, details };
  },
};

export const PLANNER_BENCHES: readonly Bench[] = [search70b, meta405b, agreementBench];
