import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { models } from '../../src/index.js';
import { deriveSeed, Rng, seededNormals } from '../../src/core/rng.js';
import { declareWeights, warmWeights } from '../../src/parallel/simulation/declare.js';
import { WeightStore } from '../../src/models/weights.js';

before(async () => {
  await useBackend();
});

describe('a seeded checkpoint drawn ahead (while the threaded backend starts)', () => {
  test('the run finds the values drawn, and they are the seed’s', async () => {
    const model = models.ffn({ hidden: 64 });
    assert.equal(await warmWeights(model, 5), true);
    const store = new WeightStore({ mode: 'numeric', seed: 5 });
    await declareWeights(model, store);
    const d = store.decl('fc1.weight');
    assert.equal(d.init.kind, 'normal');
    const std = (d.init as { std: number }).std;
    const n = d.shape.reduce((a, b) => a * b, 1);
    const drawn = seededNormals(deriveSeed(5, 'fc1.weight'), n, std, 0);
    assert.equal(seededNormals(deriveSeed(5, 'fc1.weight'), n, std, 0), drawn, 'remembered: no second draw');
    assert.deepEqual(Array.from(store.dense('fc1.weight').dataSync()), Array.from(new Rng(deriveSeed(5, 'fc1.weight')).fillNormal(new Float32Array(n), std)));
    store.dispose();
  });

  test('a checkpoint too large to keep is not drawn ahead', async () => {
    const t0 = performance.now();
    assert.equal(await warmWeights(models.ffn({ hidden: 8192 }), 5), false); // 2 × 8192 × 32768 floats
    assert.ok(performance.now() - t0 < 2000, 'nothing was drawn');
  });
});
