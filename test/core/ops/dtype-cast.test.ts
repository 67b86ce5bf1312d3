import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { DTYPE_BYTES, ops, simulate, storageDType } from '../../../src/core/index.js';
import { checkOp, run1 } from './harness.js';

before(async () => {
  await useBackend();
});

describe('int64 and cast', () => {
  test('int64 is 8 bytes per element in memory, stored as int32', async () => {
    assert.equal(DTYPE_BYTES.int64, 8);
    assert.equal(storageDType('int64'), 'int32');
    const res = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, (ctx) => {
      ctx.param(ctx.zeros([4, 4], 'int64'));
    });
    assert.equal(res.memory[0].persistentBytes, 128);
  });

  test('an int64 all-reduce: summed as integers, stays int64, 8 bytes per element on the ledger', async () => {
    const res = await simulate({ mesh: { dp: 2 } }, async (ctx) => {
      const y = await ctx.comm.allReduce(ctx.tensor([ctx.rank + 1, 100000 * (ctx.rank + 1)], [2], 'int64'));
      return { v: Array.from(await y.values()), d: y.dtype };
    });
    assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(res.returns, [{ v: [3, 300000], d: 'int64' }, { v: [3, 300000], d: 'int64' }]);
    assert.equal(res.ledger[0].bytes, 16);
  });

  test('float → int64 truncates toward zero; → bool is "≠ 0"; bool → float is 0/1', () =>
    checkOp({
      inputs: [{ shape: [6], values: [-2.7, -0.5, 0, 0.5, 1.9, 3], grad: false }],
      sim: ([x]) => [ops.cast(x, 'int64'), ops.cast(x, 'bool'), ops.cast(ops.cast(x, 'bool'), 'float32'), ops.cast(ops.cast(x, 'int64'), 'int32')],
      ref: ([x]) => [x.map(Math.trunc), x.map((v) => (v !== 0 ? 1 : 0)), x.map((v) => (v !== 0 ? 1 : 0)), x.map(Math.trunc)],
      shapes: [[6], [6], [6], [6]],
      dtypes: ['int64', 'bool', 'float32', 'int32'],
    }));

  test('float32 → bfloat16 → float32 keeps the gradient; to the same dtype is the tensor itself', async () => {
    await checkOp({ inputs: [{ shape: [2, 3] }], sim: ([x]) => ops.cast(ops.cast(x, 'bfloat16'), 'float32'), ref: ([x]) => x, shapes: [[2, 3]], dtypes: ['float32'] });
    const r = await run1(async (ctx) => {
      const x = ctx.param(ctx.randn([3], { dtype: 'bfloat16' }));
      const y = ops.cast(x, 'float32');
      await ctx.backward(ops.sum(ops.scale(y, 3)));
      return { same: ops.cast(x, 'bfloat16') === x, g: x.grad!.dtype, v: Array.from(await x.grad!.values()) };
    });
    assert.deepEqual(r, { same: true, g: 'bfloat16', v: [3, 3, 3] });
  });

  test('no gradient through an integer cast', async () => {
    const r = await run1((ctx) => ops.cast(ctx.param(ctx.randn([3])), 'int64').requiresGrad);
    assert.equal(r, false);
  });

  test('clone copies with an identity gradient; detach cuts the gradient', async () => {
    await checkOp({ inputs: [{ shape: [2, 3] }], sim: ([x]) => ops.mul(ops.clone(x), x), ref: ([x]) => x.map((v) => v * v), shapes: [[2, 3]], dtypes: ['float32'] });
    const r = await run1(async (ctx) => {
      const x = ctx.param(ctx.tensor([1, 2], [2]));
      const d = ops.detach(x);
      await ctx.backward(ops.sum(ops.mul(d, x)));
      return { req: d.requiresGrad, v: Array.from(await d.values()), g: Array.from(await x.grad!.values()) };
    });
    assert.deepEqual(r, { req: false, v: [1, 2], g: [1, 2] });
  });

  test('promotion: float beats int beats bool, float16 with bfloat16 is float32', () => {
    assert.equal(ops.promoteTypes('int64', 'float16'), 'float16');
    assert.equal(ops.promoteTypes('bfloat16', 'float16'), 'float32');
    assert.equal(ops.promoteTypes('bool', 'int32'), 'int32');
    assert.equal(ops.promoteTypes('int32', 'int64'), 'int64');
    assert.equal(ops.promoteScalar('int64', 0.5), 'float32');
    assert.equal(ops.promoteScalar('int64', 2), 'int64');
    assert.equal(ops.promoteScalar('bfloat16', 2), 'bfloat16');
  });
});
