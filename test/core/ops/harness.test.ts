import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp } from './harness.js';

before(async () => {
  await useBackend();
});

test('the op harness catches wrong values, a wrong gradient and a wrong dtype', async () => {
  // values: sin against a cos reference
  await assert.rejects(checkOp({ inputs: [{ shape: [3] }], sim: ([x]) => ops.sin(x), ref: ([x]) => x.map(Math.cos), shapes: [[3]], dtypes: ['float32'] }), /output 0/);
  // gradient: x · stopgrad(x) has x²'s values but half its gradient
  await assert.rejects(
    checkOp({ inputs: [{ shape: [3] }], sim: ([x], ctx) => ops.mul(x, ctx.noGrad(() => ops.scale(x, 1))), ref: ([x]) => x.map((v) => v * v), shapes: [[3]], dtypes: ['float32'] }),
    /d input 0/,
  );
  await assert.rejects(checkOp({ inputs: [{ shape: [3] }], sim: ([x]) => ops.sin(x), ref: ([x]) => x.map(Math.sin), shapes: [[3]], dtypes: ['bfloat16'] }), /dtypes/);
});
