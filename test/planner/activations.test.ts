import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2 } from '../../src/models/gpt2.js';
import { embeddingActivations, layerActivations, stashedLayers, stashedMicrobatches } from '../../src/planner/activations.js';
import { shapeOf } from '../../src/planner/shape.js';

// GPT-3 175B as in Korthikanti et al. 2022 (Table 3): s 2048, h 12288, a 96, t 8, micro-batch 1, dropout.
const gpt3 = shapeOf({ id: 'gpt3', dropout: true, spec: gpt2({ nLayer: 96, nEmbd: 12288, nHead: 96, vocab: 51200, nPositions: 2048 }) });
const s = 2048;
const b = 1;
const sbh = s * b * 12288; // 25,165,824
// 5as/h = 5·96·2048/12288 = 80
const at = (tp: number, sequenceParallel: boolean, recompute: 'none' | 'selective' | 'full') =>
  layerActivations(gpt3, { seq: s, microBatch: b, tp, sequenceParallel, recompute, attention: 'unfused' }).total;

test('Korthikanti Eq. 1, no parallelism: sbh(34 + 5as/h) = 25,165,824 × 114 = 2,868,903,936 bytes', () => {
  assert.equal(at(1, false, 'none'), 2_868_903_936);
  assert.equal(at(1, false, 'none'), sbh * (34 + (5 * 96 * s) / 12288));
});

test('Korthikanti Eq. 2, tensor parallel t=8: sbh(10 + 24/t + 5as/(ht)) = 23·sbh = 578,813,952 bytes', () => {
  assert.equal(at(8, false, 'none'), 578_813_952);
  assert.equal(at(8, false, 'none'), sbh * (10 + 24 / 8 + 80 / 8));
});

test('Korthikanti Eq. 4, tensor + sequence parallel t=8: sbh/t·(34 + 5as/h) = 14.25·sbh = 358,612,992 bytes', () => {
  assert.equal(at(8, true, 'none'), 358_612_992);
});

test('Korthikanti Table 2, selective recompute: sbh(10 + 24/t) = 13·sbh; with SP sbh·34/t = 4.25·sbh', () => {
  assert.equal(at(8, false, 'selective'), 13 * sbh); // 327,155,712
  assert.equal(at(8, true, 'selective'), 106_954_752);
});

test('Korthikanti Table 2, full recompute keeps the layer input: 2sbh (2sbh/t with SP)', () => {
  assert.equal(at(8, false, 'full'), 2 * sbh); // 50,331,648
  assert.equal(at(8, true, 'full'), (2 * sbh) / 8);
});

test('without dropout the masks go: 32sbh + 2as²b (no parallelism)', () => {
  const nodrop = { ...gpt3, dropout: false };
  const x = layerActivations(nodrop, { seq: s, microBatch: b, tp: 1, sequenceParallel: false, recompute: 'none', attention: 'unfused' });
  assert.equal(x.total, 32 * sbh + 2 * 96 * s * s * b);
});

test('FlashAttention stores no a·s² term: the same as selective recompute', () => {
  const flash = layerActivations(gpt3, { seq: s, microBatch: b, tp: 8, sequenceParallel: true, recompute: 'none', attention: 'flash' });
  assert.equal(flash.total, at(8, true, 'selective'));
  assert.equal(flash.scores, 0);
});

test('GQA and SwiGLU (Llama-3-70B, t=8, SP): K and V at kv width, four F-wide MLP tensors', () => {
  const m = { ...gpt3, heads: 64, kvHeads: 8, headDim: 128, hidden: 8192, ffn: 28672, gatedMlp: true, dropout: false };
  const x = layerActivations(m, { seq: 8192, microBatch: 1, tp: 8, sequenceParallel: true, recompute: 'selective', attention: 'unfused' });
  const sb = 8192;
  // outside: norm inputs 4sbh, QKV and MLP inputs 4sbh; inside: Q 2sb·8192, K 2sb·1024, V 2sb·1024,
  // o_proj input 2sb·8192, MLP 8sbF
  const outside = 8 * sb * 8192;
  const inside = 2 * sb * (8192 + 1024) + 2 * sb * 1024 + 2 * sb * 8192 + 8 * sb * 28672;
  assert.equal(x.total, (outside + inside) / 8); // 339,738,624 bytes ≈ 324 MiB per layer
  assert.equal(x.total, 339_738_624);
});

test('pipeline stash: 1F1B holds p − s micro-batches; the first stage p × l/p = l layers (Korthikanti §4.2.3)', () => {
  const plan = { pp: 8, schedule: '1F1B' as const, virtual: 1 };
  assert.equal(stashedLayers(12, plan, 64, 0), 96);
  assert.equal(stashedLayers(12, plan, 64, 7), 12);
  assert.equal(stashedLayers(12, plan, 4, 0), 48, 'never more micro-batches than there are');
  assert.equal(stashedLayers(12, { ...plan, schedule: 'GPipe' }, 64, 3), 64 * 12);
  assert.equal(stashedMicrobatches(plan, 64, 0), 8);
});

test('interleaved stash: the first stage holds l·(1 + (p − 1)/(p·v)) layers (Korthikanti §4.2.3)', () => {
  for (const [p, v] of [[8, 2], [4, 4], [16, 3]]) {
    const l = 96;
    const got = stashedLayers(l / p, { pp: p, schedule: 'Interleaved1F1B', virtual: v }, 64, 0);
    assert.ok(Math.abs(got - l * (1 + (p - 1) / (p * v))) < 1e-9, `p=${p} v=${v}: ${got}`);
  }
});

test('the embedding dropout mask: sbh/t per micro-batch with SP, p micro-batches on the first stage = sbhp/t (Korthikanti §4.3)', () => {
  const x = { seq: s, microBatch: b, tp: 8, sequenceParallel: true, recompute: 'selective' as const, attention: 'unfused' as const };
  assert.equal(embeddingActivations(gpt3, x) * stashedMicrobatches({ pp: 8, schedule: '1F1B', virtual: 1 }, 64, 0), (sbh * 8) / 8);
});
