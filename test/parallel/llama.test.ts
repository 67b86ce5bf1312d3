import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, simulation, type Plan } from '../../src/parallel/index.js';
import { llama } from '../../src/models/llama.js';
import { useBackend } from '../helpers/backend.js';

before(async () => {
  await useBackend();
});

const PLAN: Plan = {
  'model.layers.*.self_attn.q_proj': 'colwise',
  'model.layers.*.self_attn.k_proj': 'colwise',
  'model.layers.*.self_attn.v_proj': 'colwise',
  'model.layers.*.self_attn.o_proj': 'rowwise',
  'model.layers.*.mlp.gate_proj': 'colwise',
  'model.layers.*.mlp.up_proj': 'colwise',
  'model.layers.*.mlp.down_proj': 'rowwise',
};
// GQA: 8 query heads share 2 kv heads
const model = () => llama({ nLayer: 2, hidden: 64, nHead: 8, nKvHead: 2, ffnHidden: 128, vocab: 96, maxPositions: 32 });

describe('Llama (RMSNorm, RoPE, GQA, SwiGLU) tensor parallel', () => {
  test('TP=2 with 2 kv heads: each rank holds one kv head and four query heads; verified', async () => {
    const r = await runSimulation(simulation({ mesh: { tp: 2 }, model: model(), input: { batch: 2, seq: 8 }, plan: PLAN }));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    const k = r.shards.find((s) => s.module === 'model.layers.0.self_attn.k_proj' && s.param === 'weight')!;
    assert.deepEqual(k.globalShape, [64, 16]); // nkv·hd = 2·8
    assert.deepEqual(k.localShape, [64, 8]); // one kv head
    const q = r.shards.find((s) => s.module === 'model.layers.0.self_attn.q_proj' && s.param === 'weight')!;
    assert.deepEqual(q.localShape, [64, 32]); // four query heads
    // per layer: o_proj and down_proj all-reduce forward; q|k|v share one input (one f) … each colwise layer all-reduces its dX
    assert.equal(r.collectives.filter((c) => c.phase === 'forward').length, 4);
  });

  test('TP=4 with 2 kv heads is refused clearly: kv heads cannot be split across 4 ranks', async () => {
    const r = await runSimulation(simulation({ mesh: { tp: 4 }, model: model(), input: { batch: 2, seq: 8 }, plan: PLAN }));
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    assert.match(e.message, /model\.layers\.0\.self_attn\.k_proj: each rank holds 4 of the 16 output columns/);
    assert.match(e.message, /the 2 kv heads do not divide among tp=4/);
    assert.match(e.fix ?? '', /use a tp that divides 2 \(1, 2\)/);
    assert.equal(r.collectives.length, 0, 'refused before anything ran');
  });
});
