import * as tf from '@tensorflow/tfjs-core';
import { simulate } from '../src/core/simulate.js';
import type { SimEvent, StreamLimits } from '../src/core/events.js';
import { runSimulation, simulation, type Plan } from '../src/parallel/index.js';
import { ffn } from '../src/models/ffn.js';
import { PYTHON_BENCHES } from './python.js';
import { gpt2 } from '../src/models/gpt2.js';
import { llama } from '../src/models/llama.js';
import { ColumnParallelLinear, RowParallelLinear } from '../src/parallel/index.js';
import type { Model } from '../src/models/model.js';
import type { Module } from '../src/models/nn/module.js';
import { PLANNER_BENCHES } from './planner.js';
import { TORCH_BENCHES } from './torch-gloo.js';
import { EXTENSION_BENCHES } from './extension.js';

export interface BenchResult {
  readonly id: string;
  readonly pass: boolean;
  readonly summary: string;
  readonly details?: string[];
}

export interface Bench {
  readonly id: string;
  run(): Promise<BenchResult>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

async function timeIt(fn: () => Promise<unknown> | unknown, reps: number): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** Median times of `a` and `b`, run alternately `reps` times each (a, b, a, b, …). */
async function timeAlternating(a: () => Promise<unknown>, b: () => Promise<unknown>, reps: number): Promise<[number, number]> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < reps; i++) {
    ta.push(await timeIt(a, 1));
    tb.push(await timeIt(b, 1));
  }
  return [median(ta), median(tb)];
}

/** Issue 2: all-reduce of 16 MiB fp32 over 8 simulated ranks vs summing the 8 buffers directly. */
const allReduce: Bench = {
  id: 'core.allreduce-16MiB-8ranks',
  async run() {
    const n = 8;
    const elems = (16 * 2 ** 20) / 4;
    const bufs = Array.from({ length: n }, (_, i) => tf.fill([elems], i + 1));
    const direct = async () => {
      const s = tf.addN(bufs);
      await s.data();
      s.dispose();
    };
    const sim = async () => {
      await simulate({ mesh: { tp: n }, traceCompute: false }, async (r) => {
        const x = r.fromTf(bufs[r.rank].clone());
        const y = await r.comm.allReduce(x, { axis: 'tp' });
        if (r.rank === 0) await y.values();
      });
    };
    await direct();
    await sim();
    const tDirect = await timeIt(direct, 5);
    const tSim = await timeIt(sim, 5);
    for (const b of bufs) b.dispose();
    const ratio = tSim / tDirect;
    return { id: this.id, pass: ratio <= 2.0, summary: `simulated ${tSim.toFixed(1)} ms vs direct sum ${tDirect.toFixed(1)} ms → ratio ${ratio.toFixed(2)} (target ≤ 2.0)` };
  },
};

/**
 * Issue 2: meta-mode ledger throughput — entries recorded per second by a folded run (the meta
 * path of every world over 64 ranks), median of five in a warm process: after a warm-up run
 * whose world is held until they are done, as an editor holds its last run. Without that hold,
 * a full collection between runs drops the hidden classes of the last run's objects (none is
 * left), V8 discards the code compiled for them, and each run starts in the interpreter again:
 * that cold figure is printed too. Also printed: the one-time cost of reading every entry back as
 * a plain object (what a report does), the rate with a listener hearing every entry and event
 * (the core's event stream, no limits) and with a script run's stream limits, and the unfolded
 * path (every rank runs; an entry is one call on each of the 8 members of its group).
 */
const metaLedger: Bench = {
  id: 'core.meta-ledger-events',
  async run() {
    const calls = 300_000;
    const go = async (n: number, fold: string[], listen?: { limits?: StreamLimits }) => {
      let heard = 0;
      const onEvent = listen ? (e: SimEvent) => void (e.type !== 'rank-state' && heard++) : undefined;
      globalThis.gc?.();
      const t0 = performance.now();
      const r = await simulate({ mesh: { dp: 4, tp: 8 }, mode: 'meta', sources: 'none', traceCompute: false, fold, onEvent, streamLimits: listen?.limits }, async (ctx) => {
        const x = ctx.zeros([8, 128, 1024]);
        for (let i = 0; i < n; i++) await ctx.comm.allReduce(x, { axis: 'tp' });
        return x; // a tensor holds its rank's world (the warm-up's is kept)
      });
      const s = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const entries = r.ledger.length;
      const readUs = ((performance.now() - t1) * 1000) / entries;
      // only figures leave: five held results would hold five ledgers read back as objects
      return { rate: entries / s, represented: r.ledger.reduce((a, e) => a + e.multiplicity, 0) / s, readUs, heard, ok: r.ok, world: r.returns[0] };
    };
    const folded = ['dp', 'tp'];
    const median5 = async (): Promise<{ rates: number[]; mid: Awaited<ReturnType<typeof go>> }> => {
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await go(calls, folded));
      const rates = runs.map((x) => x.rate).sort((a, b) => a - b);
      return { rates, mid: runs.find((x) => x.rate === rates[2])! };
    };
    const cold = await median5(); // nothing held between runs
    const warmUp = await go(calls / 5, folded); // the engine's hot paths compiled, and kept
    const { rates, mid } = await median5();
    const heardAll = await go(calls, folded, {});
    const limited = await go(calls, folded, { limits: { ledger: 50_000, trace: 50_001 } });
    const unfolded = await go(calls / 10, []);
    if (!warmUp.ok || !warmUp.world) throw new Error('the warm-up run failed'); // (and its world stayed referenced until here)
    const M = (x: number) => `${(x / 1e6).toFixed(2)} M`;
    return {
      id: this.id,
      pass: rates[2] >= 1e6,
      summary: `${M(rates[2])} ledger entries/s recorded, folded (median of 5: ${rates.map((x) => M(x)).join(', ')}; target ≥ 1 M), standing for ${(mid.represented / 1e6).toFixed(1)} M collective calls/s`,
      details: [
        `cold — each run after a full collection took the last run's objects, so V8 compiles the hot paths again: ${M(cold.rates[2])} entries/s (median of 5: ${cold.rates.map((x) => M(x)).join(', ')})`,
        `reading them back as plain objects afterwards: ${mid.readUs.toFixed(2)} µs per entry, once (${M(1 / (1 / mid.rate + mid.readUs / 1e6))} entries/s with that counted)`,
        `with a listener hearing every entry and event (the core's stream, no limits): ${M(heardAll.rate)} entries/s, ${heardAll.heard.toLocaleString('en-US')} events heard`,
        `with a script run's stream limits (50,000 one by one, then tallies): ${M(limited.rate)} entries/s, ${limited.heard.toLocaleString('en-US')} events heard`,
        `unfolded (all 32 ranks run; an entry is 8 members' calls): ${M(unfolded.rate)} entries/s = ${M(unfolded.rate * 8)} rank-calls/s`,
      ],
    };
  },
};

const GPT2_PLAN: Plan = { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' };

/** Issue 3: GPT-2-shaped model fwd+bwd at TP=4 in the simulator vs unsharded, same backend. */
const gpt2Tp: Bench = {
  id: 'tp.gpt2-tp4-vs-unsharded',
  async run() {
    const model = gpt2({ nLayer: 4, nEmbd: 256, nHead: 8, vocab: 2048, nPositions: 128 });
    const input = { batch: 8, seq: 128 };
    const sharded = () => runSimulation(simulation({ mesh: { tp: 4 }, model, input, plan: { ...GPT2_PLAN, wte: 'vocab', lm_head: 'colwise' }, verify: false }));
    const dense = () => runSimulation(simulation({ mesh: {}, model, input, verify: false }));
    await dense();
    await sharded();
    // alternated, so that a slow stretch of the machine (2 shared cores) hits both sides alike
    const [tDense, tSharded] = await timeAlternating(dense, sharded, 3);
    const r = await dense();
    const flops = r.timeline.perRank.length ? (await denseFlops(model, input)) : 0;
    const ratio = tSharded / tDense;
    return {
      id: this.id,
      pass: ratio <= 1.15,
      summary: `TP=4 ${tSharded.toFixed(0)} ms vs unsharded ${tDense.toFixed(0)} ms → ratio ${ratio.toFixed(3)} (target ≤ 1.15)`,
      details: [`backend throughput on the unsharded run: ${((flops / (tDense / 1000)) / 1e9).toFixed(1)} GFLOP/s`],
    };
  },
};

async function denseFlops(model: ReturnType<typeof gpt2>, input: { batch: number; seq: number }): Promise<number> {
  const r = await simulate({ mesh: {}, mode: 'meta', traceCompute: false }, async (ctx) => {
    const { Params, WeightStore } = await import('../src/models/weights.js');
    const store = new WeightStore({ mode: 'meta' });
    const m = model.build(new Params(ctx, store));
    const b = model.batch(ctx, input, 0);
    const out = await m.call(b.input);
    const { computeLoss } = await import('../src/parallel/simulation/loss.js');
    await ctx.backward(await computeLoss(out, b.target, 'cross_entropy', 2048));
  });
  return r.flops[0];
}

/** Issue 4: Llama-70B shapes, dp8 × pp8 × tp8 = 512 ranks, 1F1B, 32 micro-batches, meta. */
const llama70b: Bench = {
  id: 'pp.meta-llama70b-512ranks',
  async run() {
    const model = llama({ nLayer: 80, hidden: 8192, nHead: 64, nKvHead: 8, ffnHidden: 28672, vocab: 128256, maxPositions: 8192 });
    const plan: Plan = {
      'model.layers.*.self_attn.q_proj': 'colwise', 'model.layers.*.self_attn.k_proj': 'colwise', 'model.layers.*.self_attn.v_proj': 'colwise', 'model.layers.*.self_attn.o_proj': 'rowwise',
      'model.layers.*.mlp.gate_proj': 'colwise', 'model.layers.*.mlp.up_proj': 'colwise', 'model.layers.*.mlp.down_proj': 'rowwise',
      // as Megatron does: a 128k vocabulary split over tp (unsplit, the head alone weighs as much as
      // ten layers' shards on the last stage, and the bubble shows that imbalance, not the schedule)
      'model.embed_tokens': 'vocab', lm_head: 'colwise',
    };
    const t0 = performance.now();
    const r = await runSimulation(simulation({ mesh: { dp: 8, pp: 8, tp: 8 }, mode: 'meta', dtype: 'bfloat16', model, input: { batch: 256, seq: 4096, microbatches: 32 }, schedule: '1F1B', plan }));
    const s = (performance.now() - t0) / 1000;
    const heap = process.memoryUsage().heapUsed;
    return {
      id: this.id,
      pass: s <= 2 && r.errors.length === 0,
      summary: `${s.toFixed(2)} s for the whole ledger and timeline (target ≤ 2 s); ${r.collectives.length} ledger entries standing for ${r.traffic.byOp ? Object.values(r.traffic.byOp).reduce((a, x) => a + x.count, 0) : 0} collectives`,
      details: [`simulated step ${(r.timeline.stepTimeUs / 1e6).toFixed(2)} s, bubble ${r.pipeline?.bubbleMeasured.toFixed(3)} vs (p−1)/m = ${r.pipeline?.bubbleFormula.toFixed(3)}, heap ${mib(heap)}`, ...r.errors.map((e) => e.headline)],
    };
  },
};

/** Issue 5: seed-003 FFN (B=8, S=128, d=1024, P=4) forward + backward to a verified report. */
const seedFfn: Bench = {
  id: 'runner.seed003-ffn-verified',
  async run() {
    const spec = simulation({
      mesh: { tp: 4 },
      model: ffn({ hidden: 1024 }),
      input: { batch: 8, seq: 128 },
      parallelize(model: Model, { tp, weights }) {
        const m = model as unknown as { fc1: Module; fc2: Module };
        m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
        m.fc2 = new RowParallelLinear(weights.fc2.split(0, tp));
      },
    });
    const t0 = performance.now();
    const r = await runSimulation(spec);
    const s = (performance.now() - t0) / 1000;
    // sharded fwd+bwd plus the unsharded reference fwd+bwd (its gradients over tfjs's tape of the one forward)
    const fwd = 2 * 2 * 8 * 128 * 1024 * 4096;
    const total = fwd * 3 /* sharded */ + fwd * 3 /* reference */;
    return {
      id: this.id,
      pass: r.verification.passed,
      summary: `${s.toFixed(2)} s to a ${r.verification.passed ? 'verified' : 'FAILED'} report, ${(total / s / 1e9).toFixed(1)} GFLOP/s`,
      details: ['peer: torch.distributed gloo, 4 CPU processes — run `npm run bench:torch` (python3-torch) for its figure'],
    };
  },
};

export const BENCHES: readonly Bench[] = [allReduce, metaLedger, gpt2Tp, llama70b, seedFfn, ...PLANNER_BENCHES, ...TORCH_BENCHES, ...EXTENSION_BENCHES, ...PYTHON_BENCHES];
