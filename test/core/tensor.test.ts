import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { Tensor, simulate } from '../../src/core/index.js';

/**
 * A tensor's shape is frozen and its size is the product of its dims. Tensors made in a row with
 * one shape share the frozen array (tensor.ts keeps the last one); a shape the caller still holds
 * is copied before it is frozen, so changing the caller's array later changes no tensor.
 */

before(async () => {
  await useBackend();
});

test('shapes are frozen copies with the right size, whatever order shapes come in', async () => {
  await simulate({ mesh: { tp: 1 }, mode: 'meta' }, async (ctx) => {
    const a = [2, 3, 4];
    const b = Object.freeze([5, 7]);
    const seen: Tensor[] = [];
    for (const s of [a, a, b, b, a, [], [0, 9], b, [6]]) seen.push(new Tensor(ctx, s, 'float32', null));
    a[0] = 100; // the caller's own array: no tensor may see this
    assert.deepEqual(
      seen.map((t) => [[...t.shape], t.size]),
      [[[2, 3, 4], 24], [[2, 3, 4], 24], [[5, 7], 35], [[5, 7], 35], [[2, 3, 4], 24], [[], 1], [[0, 9], 0], [[5, 7], 35], [[6], 6]],
    );
    for (const t of seen) assert.ok(Object.isFrozen(t.shape));
    assert.notEqual(seen[0].shape, a, 'an unfrozen shape is copied');
    assert.equal(seen[2].shape, b, 'a frozen shape is kept as is');
    assert.equal(seen[1].shape, seen[0].shape, 'consecutive tensors of one shape share it');
  });
});
