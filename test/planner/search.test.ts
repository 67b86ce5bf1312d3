import { test } from 'node:test';
import assert from 'node:assert/strict';
import { structuralFailure } from '../../src/planner/constraints.js';
import { formatSearch, failureLines } from '../../src/planner/format.js';
import type { ParallelPlan } from '../../src/planner/plan.js';
import { bestPerLayout, candidates, divisors, oomMessage, searchPlans } from '../../src/planner/search.js';
import { makeSetup } from '../../src/planner/setup.js';
import { layerActivations } from '../../src/planner/activations.js';
import { stageTime } from '../../src/planner/time.js';

const plan = (p: Partial<ParallelPlan>): ParallelPlan => ({ tp: 8, pp: 1, dp: 1, microBatch: 1, schedule: '1F1B', virtual: 1, sequenceParallel: false, recompute: 'none', zero: 0, ...p });

test('divisors', () => {
  assert.deepEqual(divisors(12), [1, 2, 3, 4, 6, 12]);
  assert.deepEqual(divisors(1), [1]);
  assert.equal(divisors(1024).length, 11);
});

test('structural failures say what is wrong in the planner\'s words', () => {
  const s = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 1024, gpus: 3072, gpusPerNode: 64 });
  assert.equal(structuralFailure(makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 1024, gpus: 512 }), plan({ tp: 16, dp: 32 }))?.message, 'tp=16 > 8 GPUs per node');
  assert.equal(structuralFailure(s, plan({ tp: 48, pp: 1, dp: 64 }))?.message, 'heads 64 not divisible by tp=48');
  assert.equal(structuralFailure(s, plan({ tp: 32, pp: 1, dp: 96 }))?.message, 'kv heads 8 not divisible by tp=32');
  assert.equal(structuralFailure(s, plan({ tp: 1, pp: 48, dp: 64 }))?.message, '80 layers do not split into pp=48 stages (evenly, or with the first and last stage one layer short)');
  assert.equal(structuralFailure(s, plan({ tp: 8, pp: 6, dp: 64, schedule: 'Interleaved1F1B', virtual: 2 }))?.message, '80 layers do not split into pp×v = 6×2 chunks (evenly, or with the first and last stage one layer short)');
  assert.equal(structuralFailure(s, plan({ tp: 8, pp: 4, dp: 96 }))?.message, 'global batch 1024 not divisible by dp × micro-batch size = 96×1');
  assert.equal(structuralFailure(s, plan({ tp: 8, pp: 8, dp: 48 }))?.message, 'global batch 1024 not divisible by dp × micro-batch size = 48×1');
  assert.equal(structuralFailure(s, plan({ tp: 8, pp: 8, dp: 32 }))?.message, 'tp×pp×dp = 8×8×32 = 2048, not the 3072 GPUs');
  // Llama-3-405B's 126 layers on 16 stages: 8 each, the first and the last 7 (Megatron's uneven first/last stages)
  const uneven = makeSetup({ model: 'llama-3-405b', seq: 8192, globalBatch: 2048, gpus: 16384 });
  assert.equal(structuralFailure(uneven, plan({ tp: 8, pp: 16, dp: 128 })), null);
  const s2 = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 96, gpus: 64 });
  assert.equal(structuralFailure(s2, plan({ tp: 8, pp: 8, dp: 1, schedule: 'Interleaved1F1B', virtual: 2, microBatch: 8 }))?.message, 'interleaved: 12 micro-batches not a multiple of pp=8');
  assert.equal(structuralFailure(s2, plan({ tp: 1, pp: 8, dp: 8, sequenceParallel: true }))?.message, 'sequence parallelism needs tp > 1');
  assert.equal(structuralFailure(s2, plan({ tp: 8, pp: 1, dp: 1, cp: 8 })), null);
  assert.equal(structuralFailure(makeSetup({ model: 'llama-3-70b', seq: 8200, globalBatch: 96, gpus: 64 }), plan({ tp: 8, pp: 1, dp: 1, cp: 8 }))?.message, 'sequence 8200 not divisible into 2·cp = 16 chunks (context parallel)');
});

test('OOM reasons are bucketed so they group: "OOM by 12.4 GiB" counts under 10–20 GiB', () => {
  assert.equal(oomMessage(12.4 * 2 ** 30), 'OOM by 10–20 GiB');
  assert.equal(oomMessage(3.2 * 2 ** 30), 'OOM by 3–4 GiB');
  assert.equal(oomMessage(0.2 * 2 ** 30), 'OOM by < 1 GiB');
  assert.equal(oomMessage(250 * 2 ** 30), 'OOM by 200–300 GiB');
});

test('the search skips what never wins: SP at tp=1, ZeRO at dp=1, selective recompute with FlashAttention', () => {
  const flash = makeSetup({ model: 'llama-3-8b', seq: 4096, globalBatch: 64, gpus: 8 });
  const all = [...candidates(flash)];
  assert.ok(all.every((p) => p.tp > 1 || !p.sequenceParallel));
  assert.ok(all.every((p) => p.dp > 1 || p.zero === 0));
  assert.ok(all.every((p) => p.recompute !== 'selective'));
  assert.ok(all.every((p) => p.pp > 1 || p.schedule === '1F1B'));
  const unfused = makeSetup({ model: 'llama-3-8b', seq: 4096, globalBatch: 64, gpus: 8, options: { attention: 'unfused' } });
  assert.ok([...candidates(unfused)].some((p) => p.recompute === 'selective'));
});

test('Llama-3-70B on 512×H100: ranked by step time, every ranked plan fits, every other plan has a reason', () => {
  const setup = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 1024, gpus: 512, gpu: 'h100' });
  const r = searchPlans(setup);
  assert.ok(r.ranked.length > 0);
  for (let i = 1; i < r.ranked.length; i++) assert.ok(r.ranked[i - 1].time.stepUs <= r.ranked[i].time.stepUs);
  assert.ok(r.ranked.every((e) => e.memory.fits && e.plan.tp * (e.plan.cp ?? 1) * e.plan.pp * e.plan.dp === 512));
  assert.equal(r.ranked.length + r.failures.reduce((a, g) => a + g.count, 0), r.examined);
  const kinds = r.failures.map((g) => g.kind);
  for (const k of ['tp-node', 'pp-layers', 'oom', 'batch', 'interleave']) assert.ok(kinds.includes(k as never), `no ${k} group`);
  assert.ok(r.failures.find((g) => g.kind === 'tp-node')!.reasons.some((x) => x.message === 'tp=16 > 8 GPUs per node'));
  const layouts = bestPerLayout(r.ranked);
  assert.equal(new Set(layouts.map((e) => `${e.plan.tp}/${e.plan.pp}/${e.plan.dp}/${e.plan.microBatch}/${e.plan.schedule}/${e.plan.virtual}`)).size, layouts.length);
  // the best plan keeps tp inside a node and uses the time it has well
  const best = r.ranked[0];
  assert.ok(best.plan.tp <= 8);
  assert.ok(best.time.mfu > 0.35 && best.time.mfu < 0.75, `MFU ${best.time.mfu}`);
  const text = formatSearch(r, 5);
  assert.match(text, /MFU \(6ND\)/);
  assert.match(text, /Why the other [\d,]+ plans do not work:/);
  assert.match(failureLines(r).join('\n'), /out of memory: short by .* closest: tp=/);
});

test('a bigger cluster never makes the best plan slower per token', () => {
  const at = (gpus: number) => searchPlans(makeSetup({ model: 'llama-3-8b', seq: 4096, globalBatch: 256, gpus })).ranked[0].time.tokensPerSecond;
  assert.ok(at(64) > at(16));
});

test('the search stops at its cap and says so', () => {
  const setup = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 1024, gpus: 512 });
  const r = searchPlans(setup, { maxExamined: 100 });
  assert.equal(r.examined, 100);
  assert.equal(r.capped, true);
  assert.match(formatSearch(r, 3), /The search stopped at its cap of 100 plans; the rest were not examined\. Hold some dimensions fixed/);
  assert.equal(searchPlans(setup, { fixed: { tp: 8, pp: 4, dp: 16 }, maxExamined: 10_000 }).capped, false);
});

test('partial recompute: a plan that fits only with recomputation recomputes the fewest layers per chunk that fit', () => {
  const setup = makeSetup({ model: 'llama-3-70b', seq: 8192, globalBatch: 1024, gpus: 512 });
  const r = searchPlans(setup, { fixed: { tp: 8, pp: 4, dp: 16, virtual: 1, microBatch: 1, sequenceParallel: true, recompute: 'full', zero: 1 } });
  assert.equal(r.ranked.length, 1);
  const p = r.ranked[0].plan;
  assert.ok(p.recomputeLayers !== undefined && p.recomputeLayers < 20, `recomputes ${p.recomputeLayers} of 20`);
  assert.ok(r.ranked[0].memory.fits);
  // one layer fewer would not fit
  if (p.recomputeLayers! > 1) assert.equal(searchPlans(setup, { fixed: { tp: 8, pp: 4, dp: 16, virtual: 1, microBatch: 1, sequenceParallel: true, recompute: 'full', recomputeLayers: p.recomputeLayers! - 1, zero: 1 } }).ranked.length, 0);
});

test('context parallelism: activations ÷cp, the K/V ring costs time, and 128k sequences find a plan', () => {
  const setup = makeSetup({ model: 'llama-3-405b', seq: 131072, globalBatch: 128, gpus: 16384 });
  const base = { tp: 8, pp: 16, dp: 8, microBatch: 1, virtual: 1, sequenceParallel: true, recompute: 'full' as const, zero: 1 as const };
  const cp = searchPlans(setup, { fixed: { ...base, cp: 16 } });
  assert.equal(cp.examined, 1);
  const x = { seq: 131072, microBatch: 1, tp: 8, sequenceParallel: true, recompute: 'none' as const, attention: 'flash' as const };
  assert.equal(layerActivations(setup.shape, { ...x, cp: 16 }).total, layerActivations(setup.shape, x).total / 16);
  const unfused = { ...x, attention: 'unfused' as const };
  assert.equal(layerActivations(setup.shape, { ...unfused, cp: 4 }).scores, layerActivations(setup.shape, unfused).scores / 4, 's/cp queries × all s keys');
  // a short sequence across nodes: the K/V exchange outlasts the attention core it overlaps
  const short = makeSetup({ model: 'llama-3-8b', seq: 8192, globalBatch: 64, gpus: 64 });
  const st = stageTime(short, { tp: 8, cp: 8, pp: 1, dp: 1, microBatch: 1, schedule: '1F1B', virtual: 1, sequenceParallel: true, recompute: 'none', zero: 0 }, 0);
  assert.ok(st.cpCommUs > 0, String(st.cpCommUs));
  const r = searchPlans(setup);
  assert.ok(r.ranked.length > 0, 'a 128k plan exists');
  assert.ok(r.ranked[0].plan.cp !== undefined && r.ranked[0].plan.cp > 1, 'with context parallelism');
});
