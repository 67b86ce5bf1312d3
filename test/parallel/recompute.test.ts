import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors.js';
import { gpt2 } from '../../src/models/gpt2.js';
import { runSimulation, simulation, type Plan } from '../../src/parallel/index.js';
import type { SimulationSpec } from '../../src/parallel/simulation/spec.js';
import type { Report } from '../../src/report/types.js';
import { useBackend } from '../helpers/backend.js';

/**
 * Activation recomputation, checked two ways: the gradients of a recomputed run equal the
 * unsharded model's (numeric mode, the verifier), and the recomputed forward is on the timeline
 * and in the ledger, phase "recompute", costing what the forward cost.
 */

before(async () => {
  await useBackend();
});

const PLAN: Plan = { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' };

const spec = (over: Partial<SimulationSpec>): SimulationSpec => ({
  mesh: { tp: 2 },
  model: gpt2({ nLayer: 2, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16, attention: 'unfused' }),
  input: { batch: 2, seq: 8 },
  plan: PLAN,
  ...over,
});

const busy = (r: Report, rank: number, keep: (e: Report['timeline']['events'][number]) => boolean) =>
  r.timeline.events.filter((e) => e.rank === rank && keep(e)).reduce((a, e) => a + e.endUs - e.startUs, 0);

for (const recompute of ['selective', 'full'] as const) {
  test(`${recompute} recompute: gradients equal the unsharded model's (numeric, tp = 2)`, async () => {
    const r = await runSimulation(simulation(spec({ recompute })));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    assert.ok(r.verification.grads.length > 0);
  });
}

test('full recompute: every layer forward runs again in phase "recompute", with its all-reduces, costing the forward time', async () => {
  const base = await runSimulation(simulation(spec({ mode: 'meta' })));
  const r = await runSimulation(simulation(spec({ mode: 'meta', recompute: 'full' })));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const inLayers = (e: { module?: string }) => !!e.module?.startsWith('h.');
  const fwd = busy(base, 0, (e) => e.kind === 'compute' && e.phase === 'forward' && inLayers(e));
  const again = busy(r, 0, (e) => e.kind === 'compute' && e.phase === 'recompute');
  assert.ok(fwd > 0);
  assert.ok(Math.abs(again - fwd) <= 1e-9 * fwd, `recomputed ${again} µs vs forward ${fwd} µs`);
  // the row layers' forward all-reduces run again: 2 per layer
  const ar = (x: Report, phase: string) => x.collectives.filter((c) => c.phase === phase && c.op === 'all_reduce' && c.label === 'reduce_from_region').length;
  assert.equal(ar(base, 'forward'), 4);
  assert.equal(ar(r, 'recompute'), 4);
  assert.ok(r.timeline.stepTimeUs > base.timeline.stepTimeUs, 'recomputation costs time');
});

test('selective recompute: only the attention core runs again (QKᵀ, scale, mask, softmax, ·V), no collective', async () => {
  const r = await runSimulation(simulation(spec({ mode: 'meta', recompute: 'selective' })));
  assert.equal(r.errors.length, 0);
  const names = new Set(r.timeline.events.filter((e) => e.rank === 0 && e.phase === 'recompute').map((e) => e.name));
  assert.deepEqual([...names].sort(), ['causal_mask', 'matmul', 'scale', 'softmax']);
  assert.equal(r.collectives.filter((c) => c.phase === 'recompute').length, 0);
});

test('{ method: "full", layers: 1 } recomputes the first layer of each pipeline stage only', async () => {
  const r = await runSimulation(simulation(spec({
    mode: 'meta',
    mesh: { pp: 2 },
    plan: undefined,
    model: gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 }),
    input: { batch: 4, seq: 8, microbatches: 2 },
    schedule: '1F1B',
    recompute: { method: 'full', layers: 1 },
  })));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const layers = new Set(r.timeline.events.filter((e) => e.phase === 'recompute').map((e) => e.module?.split('.').slice(0, 2).join('.')));
  assert.deepEqual([...layers].sort(), ['h.0', 'h.2']);
});

test('a bad recompute option is refused where the spec is checked, saying what to write', () => {
  assert.throws(() => simulation(spec({ recompute: 'some' as never })), (e: unknown) => e instanceof ConfigError && /recompute must be/.test(e.message) && /selective/.test(e.fix ?? ''));
  assert.throws(() => simulation(spec({ recompute: { method: 'full', layers: -1 } })), ConfigError);
});
