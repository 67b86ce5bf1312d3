import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, simulation, type Plan } from '../../src/parallel/index.js';
import type { SimulationSpec } from '../../src/parallel/simulation/spec.js';
import type { Report } from '../../src/report/types.js';
import { gpt2 } from '../../src/models/gpt2.js';
import { llama } from '../../src/models/llama.js';
import { useBackend } from '../helpers/backend.js';

before(async () => {
  await useBackend();
});

const LLAMA_PLAN: Plan = {
  'model.layers.*.self_attn.q_proj': 'colwise', 'model.layers.*.self_attn.k_proj': 'colwise', 'model.layers.*.self_attn.v_proj': 'colwise', 'model.layers.*.self_attn.o_proj': 'rowwise',
  'model.layers.*.mlp.gate_proj': 'colwise', 'model.layers.*.mlp.up_proj': 'colwise', 'model.layers.*.mlp.down_proj': 'rowwise',
};
const GPT2_PLAN: Plan = { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' };

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);

/** Ledger entries in a run-order-free form (replays interleave ranks differently, so seq differs). */
function ledger(r: Report) {
  return r.collectives
    .map((c) => ({ key: `${c.op}|${c.group}|${c.phase}|${c.shape.join('x')}|${c.bytes}|${c.module}|${c.label}|${c.multiplicity}|${c.sentBytesPerRank}`, startUs: c.startUs, timeUs: c.timeUs }))
    .sort((a, b) => a.startUs - b.startUs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Start time to the ns: a replay shifts times by float noise, which must not reorder events that start together. */
const tick = (us: number) => Math.round(us * 1e3);

function events(r: Report) {
  const seqStart = new Map(r.collectives.map((c) => [c.seq, c.startUs]));
  return r.timeline.events
    .map((e) => ({ key: `${e.rank}|${e.kind}|${e.name}|${e.phase}|${e.module}|${e.tag}|${e.source?.line}|${e.ledgerSeq === undefined ? '' : seqStart.get(e.ledgerSeq)?.toFixed(3)}`, startUs: e.startUs, endUs: e.endUs }))
    .sort((a, b) => tick(a.startUs) - tick(b.startUs) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Everything a person reads off a run, replayed or not, must agree. */
function assertSameRun(replayed: Report, real: Report): void {
  assert.equal(replayed.errors.length, 0, JSON.stringify(replayed.errors));
  assert.equal(real.errors.length, 0, JSON.stringify(real.errors));
  near(replayed.timeline.stepTimeUs, real.timeline.stepTimeUs, 'step time');
  replayed.timeline.perRank.forEach((p, i) => {
    const q = real.timeline.perRank[i];
    near(p.computeUs, q.computeUs, `rank ${i} compute`);
    near(p.commUs, q.commUs, `rank ${i} comm`);
    near(p.waitUs, q.waitUs, `rank ${i} wait`);
  });
  assert.deepEqual(replayed.memory.perRank, real.memory.perRank, 'memory per rank (lifetimes replayed exactly)');
  assert.equal(replayed.traffic.totalBytes, real.traffic.totalBytes);
  assert.equal(replayed.traffic.totalWireBytes, real.traffic.totalWireBytes);
  near(replayed.pipeline!.bubbleMeasured, real.pipeline!.bubbleMeasured, 'bubble');
  assert.deepEqual(replayed.pipeline!.peakStash, real.pipeline!.peakStash);
  const a = ledger(replayed);
  const b = ledger(real);
  assert.equal(a.length, b.length, 'ledger entries');
  a.forEach((x, i) => {
    assert.equal(x.key, b[i].key, `ledger entry ${i}`);
    near(x.startUs, b[i].startUs, `ledger entry ${i} start`);
    near(x.timeUs, b[i].timeUs, `ledger entry ${i} time`);
  });
  assert.equal(replayed.timeline.truncated, false);
  const e = events(replayed);
  const f = events(real);
  assert.equal(e.length, f.length, 'trace events');
  e.forEach((x, i) => {
    assert.equal(x.key, f[i].key, `event ${i}`);
    near(x.startUs, f[i].startUs, `event ${i} start`);
    near(x.endUs, f[i].endUs, `event ${i} end`);
  });
}

async function both(spec: SimulationSpec): Promise<[Report, Report]> {
  const replayed = await runSimulation(simulation(spec));
  const real = await runSimulation(simulation({ ...spec, replayMicrobatches: false }));
  return [replayed, real];
}

describe('micro-batch replay (meta mode)', () => {
  test('Llama dp2 × pp4 × tp2 folded, 1F1B, 8 micro-batches: replayed stretches leave exactly the real run', async () => {
    const model = llama({ nLayer: 8, hidden: 64, nHead: 8, nKvHead: 4, ffnHidden: 128, vocab: 256, maxPositions: 64 });
    const [replayed, real] = await both({ mesh: { dp: 2, pp: 4, tp: 2 }, mode: 'meta', fold: ['dp', 'tp'], model, input: { batch: 16, seq: 32, microbatches: 8 }, schedule: '1F1B', plan: LLAMA_PLAN });
    assert.ok((replayed.pipeline?.replayed ?? 0) > 0, 'some stretches were replayed');
    assert.equal(real.pipeline?.replayed, undefined);
    assertSameRun(replayed, real);
  });

  test('GPT-2 pp2 interleaved (v=2), 8 micro-batches, tied embedding: the same', async () => {
    const model = gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 });
    const [replayed, real] = await both({ mesh: { pp: 2 }, mode: 'meta', model, input: { batch: 8, seq: 8, microbatches: 8 }, schedule: 'Interleaved1F1B' });
    assert.ok((replayed.pipeline?.replayed ?? 0) > 0, 'some stretches were replayed');
    assertSameRun(replayed, real);
  });

  test('GPipe (all forwards before any backward): only backwards replay, results the same', async () => {
    const model = gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 });
    const [replayed, real] = await both({ mesh: { pp: 2 }, mode: 'meta', model, input: { batch: 8, seq: 8, microbatches: 8 }, schedule: 'GPipe' });
    // per stage: backwards 0–3 run (the first two differ: the first has no gradient to add to), 4–7 replay
    assert.equal(replayed.pipeline?.replayed, 2 * 4);
    assertSameRun(replayed, real);
  });

  test("Llama pp2 × tp2 folded with SP and Megatron's TP overlap (the compute waits for its own tp stream inside each stretch): replayed, the same as the real run", async () => {
    const { makeSetup } = await import('../../src/planner/setup.js');
    const { planToSpec } = await import('../../src/planner/spec.js');
    const spec = llama({ nLayer: 4, hidden: 64, nHead: 8, nKvHead: 4, ffnHidden: 128, vocab: 256, maxPositions: 64 });
    const setup = makeSetup({ model: { id: 'tiny-llama', dropout: false, spec }, seq: 32, globalBatch: 8, gpus: 4 });
    const plan = { tp: 2, pp: 2, dp: 1, microBatch: 1, schedule: '1F1B' as const, virtual: 1, sequenceParallel: true, recompute: 'none' as const, zero: 0 as const };
    const s = planToSpec(plan, setup);
    assert.deepEqual(s.tensorParallel, { overlap: 'backward' });
    const [replayed, real] = await both({ ...s, fold: ['tp'] });
    assert.ok((replayed.pipeline?.replayed ?? 0) > 0, 'some stretches were replayed');
    assert.ok(real.timeline.events.some((e) => e.name === 'wait tp stream'), 'the compute waited for the tp stream');
    assertSameRun(replayed, real);
  });

  test('an unfolded tensor-parallel all-reduce talks to a live peer: nothing is replayed', async () => {
    const model = gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 });
    const [replayed, real] = await both({ mesh: { pp: 2, tp: 2 }, mode: 'meta', fold: false, model, input: { batch: 8, seq: 8, microbatches: 8 }, schedule: '1F1B', plan: GPT2_PLAN });
    assert.equal(replayed.pipeline?.replayed, undefined);
    assertSameRun(replayed, real);
  });

  test('numeric mode never replays (values differ per micro-batch)', async () => {
    const model = gpt2({ nLayer: 2, nEmbd: 16, nHead: 2, vocab: 32, nPositions: 8 });
    const r = await runSimulation(simulation({ mesh: { pp: 2 }, model, input: { batch: 8, seq: 4, microbatches: 8 }, schedule: '1F1B' }));
    assert.equal(r.errors.length, 0);
    assert.equal(r.verification.passed, true);
    assert.equal(r.pipeline?.replayed, undefined);
  });
});
