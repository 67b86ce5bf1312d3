import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { bcast, checkOp, elementwise, run1, runError, unravel } from './harness.js';

before(async () => {
  await useBackend();
});

describe('masking', () => {
  test('masked_fill with a broadcast bool mask [3,1] over [2,3,4]', () =>
    checkOp({
      inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1], dtype: 'bool', values: [1, 0, 1] }],
      sim: ([x, m]) => ops.maskedFill(x, m, -2.5),
      ref: ([x, m]) => x.map((v, i) => (bcast(m, [3, 1], [2, 3, 4], i) ? -2.5 : v)),
      shapes: [[2, 3, 4]],
      dtypes: ['float32'],
    }));

  test('masked_fill with −inf (a causal mask) then softmax keeps no NaN', async () => {
    const v = await run1(async (ctx) => {
      const x = ctx.tensor([1, 2, 3, 4], [2, 2]);
      const m = ops.triu(ops.full(ctx, [2, 2], true), 1);
      return Array.from(await ops.softmaxDim(ops.maskedFill(x, m, -Infinity), -1).values());
    });
    assert.deepEqual(v.map((x) => Math.round(x * 1e4) / 1e4), [1, 0, 0.2689, 0.7311]);
  });

  test('masked_fill: a mask larger than x is an error naming the shapes', async () => {
    const msg = await runError((ctx) => ops.maskedFill(ctx.zeros([3]), ctx.zeros([2, 3], 'bool'), 0));
    assert.match(msg, /mask \[2, 3\] does not broadcast to the tensor's shape \[3\]/);
  });

  test('where: cond [2,1,3], a [3], b a number (all broadcast; gradient to a summed back)', () =>
    checkOp({
      inputs: [{ shape: [2, 1, 3], dtype: 'bool', values: [1, 0, 1, 0, 0, 1] }, { shape: [3] }],
      sim: ([c, a]) => ops.whereBroadcast(c, a, 0.25),
      ref: ([c, a]) => Array.from({ length: 6 }, (_, i) => (c[i] ? a[i % 3] : 0.25)),
      shapes: [[2, 1, 3]],
      dtypes: ['float32'],
    }));

  test('where: cond broadcasts against two tensors, both get gradients', () =>
    checkOp({
      inputs: [{ shape: [3], dtype: 'bool', values: [0, 1, 1] }, { shape: [2, 1] }, { shape: [2, 3] }],
      sim: ([c, a, b]) => ops.whereBroadcast(c, a, b),
      ref: (xs) => elementwise([[3], [2, 1], [2, 3]], [2, 3], (c, a, b) => (c ? a : b))(xs),
      shapes: [[2, 3]],
      dtypes: ['float32'],
    }));

  test('triu / tril with diagonals 0, 1, −1 over the last two dims of [2,3,4]', () => {
    const s = [2, 3, 4];
    const tri = (keep: (i: number, j: number) => boolean) => (x: number[]) => x.map((v, k) => {
      const [, i, j] = unravel(k, s);
      return keep(i, j) ? v : 0;
    });
    return checkOp({
      inputs: [{ shape: s }],
      sim: ([x]) => [ops.triu(x), ops.triu(x, 1), ops.tril(x), ops.tril(x, -1)],
      ref: ([x]) => [tri((i, j) => j >= i)(x), tri((i, j) => j - i >= 1)(x), tri((i, j) => j <= i)(x), tri((i, j) => j - i <= -1)(x)],
      shapes: [s, s, s, s],
      dtypes: ['float32', 'float32', 'float32', 'float32'],
    });
  });

  test('triu of a −inf matrix leaves 0, not NaN, below the diagonal', async () => {
    const v = await run1(async (ctx) => Array.from(await ops.triu(ops.full(ctx, [2, 2], -Infinity), 1).values()));
    assert.deepEqual(v, [0, -Infinity, 0, 0]);
  });
});
