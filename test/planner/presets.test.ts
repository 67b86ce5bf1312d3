import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESET_IDS, PRESETS, modelFromConfigJson, preset } from '../../src/planner/presets.js';
import { layerParams, shapeOf } from '../../src/planner/shape.js';
import { makeSetup } from '../../src/planner/setup.js';
import { SimError } from '../../src/core/errors.js';

// Published sizes: Llama-3-8B 8.03 B, Llama-3-70B 70.55 B, Llama-3.1-405B 405.85 B (HF model cards);
// GPT-3 175B (Brown et al. 2020), here 174.6 B with the vocabulary padded to 51200.
const PUBLISHED: Record<string, number> = { 'llama-3-8b': 8.03e9, 'llama-3-70b': 70.55e9, 'llama-3-405b': 405.85e9, 'gpt3-175b': 174.6e9 };

for (const id of PRESET_IDS) {
  test(`${id}: the planner's parameter count equals the model's, ≈ ${PUBLISHED[id] / 1e9} B`, () => {
    const m = PRESETS[id]();
    const s = shapeOf(m);
    assert.equal(s.totalParams, m.spec.paramCount());
    assert.ok(Math.abs(s.totalParams / PUBLISHED[id] - 1) < 0.002, `${s.totalParams}`);
  });
}

test('GPT-3 layer: 12h² + 13h parameters (Narayanan et al. 2021 §5.1)', () => {
  const s = shapeOf(preset('gpt3-175b')!);
  assert.equal(layerParams(s), 12 * 12288 ** 2 + 13 * 12288);
});

test('presets are case-insensitive; unknown names say which exist', () => {
  assert.equal(preset('Llama-3-70B')?.id, 'llama-3-70b');
  assert.equal(preset('llama-2-7b'), undefined);
  assert.throws(() => makeSetup({ model: 'llama-2-7b', seq: 4096, globalBatch: 8, gpus: 8 }), (e: SimError) => /unknown model "llama-2-7b"/.test(e.message) && /llama-3-70b/.test(e.fix ?? ''));
});

test('an HF config.json plans like the preset it describes', () => {
  const json = {
    model_type: 'llama', num_hidden_layers: 32, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336,
    vocab_size: 128256, rope_theta: 500000, max_position_embeddings: 8192, rms_norm_eps: 1e-5, tie_word_embeddings: false, attention_dropout: 0.0,
  };
  const m = modelFromConfigJson(json, 'Meta-Llama-3-8B');
  assert.equal(m.dropout, false);
  assert.deepEqual({ ...shapeOf(m), name: '' }, { ...shapeOf(preset('llama-3-8b')!), name: '' });
});

test('bad requests fail with a fix: sequence beyond GPT-3\'s positions, GPUs that do not fill nodes, zero batch', () => {
  const fixOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return `${(e as SimError).message} | ${(e as SimError).fix}`;
    }
    return 'no error';
  };
  assert.match(fixOf(() => makeSetup({ model: 'gpt3-175b', seq: 8192, globalBatch: 8, gpus: 8 })), /exceeds gpt3-175b's 2048 learned positions.*--seq ≤ 2048/s);
  assert.match(fixOf(() => makeSetup({ model: 'llama-3-8b', seq: 4096, globalBatch: 8, gpus: 12 })), /12 GPUs do not fill whole nodes of 8.*multiple of 8/s);
  assert.match(fixOf(() => makeSetup({ model: 'llama-3-8b', seq: 4096, globalBatch: 0, gpus: 8 })), /global batch must be a whole number ≥ 1/);
  assert.match(fixOf(() => makeSetup({ model: 'llama-3-8b', seq: 4096, globalBatch: 8, gpus: 8, gpu: 'v100' })), /Unknown hardware id 'v100'/);
});
