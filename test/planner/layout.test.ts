import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkLayers, recomputedFraction, stageLayerCount } from '../../src/planner/layout.js';

test('even layouts: every chunk holds l/(pp·v) layers', () => {
  assert.deepEqual(chunkLayers(80, 4, 1), [20, 20, 20, 20]);
  assert.deepEqual(chunkLayers(80, 4, 5), Array(20).fill(4)); // NeMo's 70B recipe: v = 5
});

test('Llama-3-405B: 126 layers on pp=16 — the first and last stage one layer short (Llama 3 §3.3.2)', () => {
  const plan = { pp: 16, virtual: 1 };
  assert.equal(stageLayerCount(126, plan, 0), 7);
  assert.equal(stageLayerCount(126, plan, 1), 8);
  assert.equal(stageLayerCount(126, plan, 15), 7);
  // interleaved v = 8: one-layer chunks, the first chunk of the first stage and the last chunk of the last stage empty
  const cl = chunkLayers(126, 16, 8) as number[];
  assert.equal(cl[0], 0);
  assert.equal(cl[127], 0);
  assert.equal(cl.reduce((a, b) => a + b, 0), 126);
  assert.equal(stageLayerCount(126, { pp: 16, virtual: 8 }, 0), 7);
  assert.equal(stageLayerCount(126, { pp: 16, virtual: 8 }, 7), 8);
});

test('one layer short: the last stage (it also carries the LM head)', () => {
  assert.deepEqual(chunkLayers(31, 4, 1), [8, 8, 8, 7]);
});

test('layouts that do not exist say so', () => {
  assert.match(chunkLayers(80, 6, 1) as string, /80 layers do not split into pp=6 stages/);
  assert.deepEqual(chunkLayers(81, 1, 1), [81]);
});

test('partial recompute: r layers of each chunk', () => {
  const plan = { pp: 4, virtual: 2, recompute: 'full' as const, recomputeLayers: 3 };
  assert.equal(recomputedFraction(80, plan, 1), 3 / 10);
  assert.equal(recomputedFraction(80, { ...plan, recomputeLayers: undefined }, 1), 1);
  assert.equal(recomputedFraction(80, { ...plan, recompute: 'none' as const }, 1), 0);
});
