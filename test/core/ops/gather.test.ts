import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops, simulate } from '../../../src/core/index.js';
import { checkOp, pick, run1, runError } from './harness.js';

before(async () => {
  await useBackend();
});

describe('gathers and scatters', () => {
  test('index_select along dim 1 with a repeated int64 index (gradients add up)', () =>
    checkOp({
      inputs: [{ shape: [2, 4, 3] }, { shape: [5], dtype: 'int64', values: [3, 0, 3, 1, 3] }],
      sim: ([x, i]) => ops.indexSelect(x, 1, i),
      ref: ([x, i]) => pick([2, 5, 3], [2, 4, 3], ([a, k, c]) => [a, i[k], c])(x),
      shapes: [[2, 5, 3]],
      dtypes: ['float32'],
    }));

  test('index_select: an index out of range is an error', async () => {
    assert.match(await runError((ctx) => ops.indexSelect(ctx.zeros([2, 3]), 0, ctx.tensor([0, 2], [2], 'int64'))), /index 2 is out of range for a dim of size 2/);
  });

  test('gather along dim 1 and dim 0 (index smaller than x outside the dim)', () =>
    checkOp({
      inputs: [{ shape: [3, 4] }, { shape: [2, 3], dtype: 'int64', values: [3, 3, 0, 1, 2, 3] }, { shape: [2, 4], dtype: 'int64', values: [2, 0, 1, 2, 0, 0, 2, 1] }],
      sim: ([x, i, j]) => [ops.gather(x, 1, i), ops.gather(x, 0, j)],
      ref: ([x, i, j]) => [pick([2, 3], [3, 4], ([r, c]) => [r, i[r * 3 + c]])(x), pick([2, 4], [3, 4], ([r, c]) => [j[r * 4 + c], c])(x)],
      shapes: [[2, 3], [2, 4]],
      dtypes: ['float32', 'float32'],
    }));

  test('gather: an index with other dims than x is an error', async () => {
    assert.match(await runError((ctx) => ops.gather(ctx.zeros([2, 3]), 1, ctx.tensor([0], [1], 'int64'))), /must have the tensor's 2 dims/);
  });

  test('scatter_add: x + src added at the index (repeats add up); gradients dx = dy, dsrc = gather(dy)', () =>
    checkOp({
      inputs: [{ shape: [2, 4] }, { shape: [2, 3], dtype: 'int64', values: [1, 1, 3, 0, 2, 0] }, { shape: [2, 3] }],
      sim: ([x, i, s]) => ops.scatterAdd(x, 1, i, s),
      ref: ([x, i, s]) => {
        const out = [...x];
        for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) out[r * 4 + i[r * 3 + c]] += s[r * 3 + c];
        return out;
      },
      shapes: [[2, 4]],
      dtypes: ['float32'],
    }));
});

describe('one_hot', () => {
  test('one_hot with num_classes, and inferred from the max in numeric mode; meta mode needs it', async () => {
    await checkOp({
      inputs: [{ shape: [2, 2], dtype: 'int64', values: [0, 3, 2, 3] }],
      sim: ([i]) => ops.oneHot(i, 5),
      ref: ([i]) => i.flatMap((v) => Array.from({ length: 5 }, (_, k) => (k === v ? 1 : 0))),
      shapes: [[2, 2, 5]],
      dtypes: ['int64'],
    });
    const v = await run1(async (ctx) => Array.from(await ops.oneHot(ctx.tensor([2, 0], [2], 'int64')).values()));
    assert.deepEqual(v, [0, 0, 1, 1, 0, 0]);
    const meta = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, (ctx) => ops.oneHot(ctx.zeros([2], 'int64')));
    assert.match(meta.errors.map((e) => e.message).join(), /num_classes = −1 needs the index values/);
  });
});
