import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp, elementwise, run1 } from './harness.js';

before(async () => {
  await useBackend();
});

// erf by its Taylor series (float64, converges fast for |x| < 3): independent of tf.erf
function erfRef(x: number): number {
  let term = x;
  let s = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    s += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

const S = [2, 3];
const one = (f: (v: number) => number) => elementwise([S], S, f);

describe('unary math against dense references, gradients against finite differences', () => {
  test('sin', () => checkOp({ inputs: [{ shape: S }], sim: ([x]) => ops.sin(x), ref: ([x]) => one(Math.sin)([x]), shapes: [S], dtypes: ['float32'] }));
  test('cos', () => checkOp({ inputs: [{ shape: S }], sim: ([x]) => ops.cos(x), ref: ([x]) => one(Math.cos)([x]), shapes: [S], dtypes: ['float32'] }));
  test('abs', () => checkOp({ inputs: [{ shape: S, kind: 'nonzero' }], sim: ([x]) => ops.abs(x), ref: ([x]) => one(Math.abs)([x]), shapes: [S], dtypes: ['float32'] }));
  test('reciprocal', () => checkOp({ inputs: [{ shape: S, kind: 'nonzero' }], sim: ([x]) => ops.reciprocal(x), ref: ([x]) => one((v) => 1 / v)([x]), shapes: [S], dtypes: ['float32'] }));
  test('erf', () => checkOp({ inputs: [{ shape: S }], sim: ([x]) => ops.erf(x), ref: ([x]) => one(erfRef)([x]), shapes: [S], dtypes: ['float32'] }));
  test('log1p', () => checkOp({ inputs: [{ shape: S, kind: 'positive' }], sim: ([x]) => ops.log1p(x), ref: ([x]) => one((v) => Math.log(1 + v))([x]), shapes: [S], dtypes: ['float32'] }));
  test('pow(x, 3) and pow(x, −0.5)', () =>
    checkOp({ inputs: [{ shape: S, kind: 'positive' }], sim: ([x]) => [ops.powScalar(x, 3), ops.powScalar(x, -0.5)], ref: ([x]) => [one((v) => v * v * v)([x]), one((v) => 1 / Math.sqrt(v))([x])], shapes: [S, S], dtypes: ['float32', 'float32'] }));
  test('pow(x, 2) of a negative base', () => checkOp({ inputs: [{ shape: S }], sim: ([x]) => ops.powScalar(x, 2), ref: ([x]) => one((v) => v * v)([x]), shapes: [S], dtypes: ['float32'] }));
  test('pow(a, b) broadcast [2,3] ** [3]', () =>
    checkOp({ inputs: [{ shape: S, kind: 'positive' }, { shape: [3] }], sim: ([a, b]) => ops.pow(a, b), ref: (xs) => elementwise([S, [3]], S, (a, b) => a ** b)(xs), shapes: [S], dtypes: ['float32'] }));
  test('2 ** x', () => checkOp({ inputs: [{ shape: S }], sim: ([x]) => ops.rpowScalar(2, x), ref: ([x]) => one((v) => 2 ** v)([x]), shapes: [S], dtypes: ['float32'] }));
  test('clamp(x, −0.5, 0.7) and one-sided clamps', () =>
    checkOp({
      inputs: [{ shape: [4, 5] }],
      sim: ([x]) => [ops.clamp(x, -0.5, 0.7), ops.clamp(x, null, 0.2), ops.clamp(x, 0.1)],
      ref: ([x]) => [x.map((v) => Math.min(Math.max(v, -0.5), 0.7)), x.map((v) => Math.min(v, 0.2)), x.map((v) => Math.max(v, 0.1))],
      shapes: [[4, 5], [4, 5], [4, 5]],
      dtypes: ['float32', 'float32', 'float32'],
    }));
  test('minimum / maximum broadcast [2,3] vs [2,1]', () =>
    checkOp({
      inputs: [{ shape: S }, { shape: [2, 1] }],
      sim: ([a, b]) => [ops.minimum(a, b), ops.maximum(a, b)],
      ref: (xs) => [elementwise([S, [2, 1]], S, Math.min)(xs), elementwise([S, [2, 1]], S, Math.max)(xs)],
      shapes: [S, S],
      dtypes: ['float32', 'float32'],
    }));
});

describe('unary math: PyTorch details', () => {
  test('sign: −1/0/1, no gradient; abs gradient is 0 at 0', async () => {
    const r = await run1(async (ctx) => {
      const x = ctx.param(ctx.tensor([-2, 0, 3], [3]));
      const s = ops.sign(x);
      await ctx.backward(ops.sum(ops.abs(x)));
      return { s: Array.from(await s.values()), grad: s.requiresGrad, g: Array.from(await x.grad!.values()) };
    });
    assert.deepEqual(r, { s: [-1, 0, 1], grad: false, g: [-1, 0, 1] });
  });

  test('maximum and minimum split the gradient of a tie in half', async () => {
    const r = await run1(async (ctx) => {
      const a = ctx.param(ctx.tensor([1, 2, 3], [3]));
      const b = ctx.param(ctx.tensor([1, 5, 0], [3]));
      await ctx.backward(ops.sum(ops.maximum(a, b)));
      return [Array.from(await a.grad!.values()), Array.from(await b.grad!.values())];
    });
    assert.deepEqual(r, [[0.5, 0, 1], [0.5, 1, 0]]);
  });

  test('clamp passes the gradient at the bounds (min ≤ x ≤ max), and min > max gives max', async () => {
    const r = await run1(async (ctx) => {
      const x = ctx.param(ctx.tensor([-1, 0, 0.5, 1, 2], [5]));
      await ctx.backward(ops.sum(ops.clamp(x, 0, 1)));
      return { g: Array.from(await x.grad!.values()), inverted: Array.from(await ops.clamp(x, 3, 1).values()) };
    });
    assert.deepEqual(r, { g: [0, 1, 1, 1, 0], inverted: [1, 1, 1, 1, 1] });
  });

  test('pow(0, b): the exponent gradient is 0 where the base is 0 and b ≥ 0; pow(x, 0) has gradient 0', async () => {
    const r = await run1(async (ctx) => {
      const a = ctx.param(ctx.tensor([0, 2], [2]));
      const b = ctx.param(ctx.tensor([2, 3], [2]));
      await ctx.backward(ops.sum(ops.pow(a, b)));
      const x = ctx.param(ctx.tensor([0, 2], [2]));
      await ctx.backward(ops.sum(ops.powScalar(x, 0)));
      return { da: Array.from(await a.grad!.values()), db: Array.from(await b.grad!.values()), dx: Array.from(await x.grad!.values()) };
    });
    assert.deepEqual(r.da, [0, 12]);
    assert.ok(r.db[0] === 0 && Math.abs(r.db[1] - 8 * Math.log(2)) < 1e-5, String(r.db));
    assert.deepEqual(r.dx, [0, 0]);
  });

  test('float functions of an int64 tensor return float32; abs keeps the integer dtype', () =>
    checkOp({
      inputs: [{ shape: [4], dtype: 'int64', values: [-2, 0, 1, 3] }],
      sim: ([x]) => [ops.sin(x), ops.abs(x), ops.powScalar(x, 2), ops.powScalar(x, 0.5)],
      ref: ([x]) => [x.map(Math.sin), x.map(Math.abs), x.map((v) => v * v), x.map(Math.sqrt)],
      shapes: [[4], [4], [4], [4]],
      dtypes: ['float32', 'int64', 'int64', 'float32'],
    }));

  test('true division: int64 / int64 is float32 (not floored), float / int64 keeps the float', () =>
    checkOp({
      inputs: [{ shape: [3], dtype: 'int64', values: [7, -7, 1] }, { shape: [3], dtype: 'int64', values: [2, 2, 3] }, { shape: [3] }],
      sim: ([a, b, x]) => [ops.trueDivide(a, b), ops.trueDivide(x, b)],
      ref: ([a, b, x]) => [a.map((v, i) => v / b[i]), x.map((v, i) => v / b[i])],
      shapes: [[3], [3]],
      dtypes: ['float32', 'float32'],
    }));

  test('bfloat16 stays bfloat16', async () => {
    const d = await run1((ctx) => ops.erf(ctx.randn([2], { dtype: 'bfloat16' })).dtype, 'meta');
    assert.equal(d, 'bfloat16');
  });
});

describe('rounding and integer division', () => {
  test('floor, ceil, round (halves to even), trunc', () =>
    checkOp({
      inputs: [{ shape: [6], values: [-2.5, -1.5, -0.4, 0.5, 1.5, 2.7], grad: false }],
      sim: ([x]) => [ops.floor(x), ops.ceil(x), ops.round(x), ops.trunc(x)],
      ref: ([x]) => [x.map(Math.floor), x.map(Math.ceil), [-2, -2, -0, 0, 2, 3], x.map(Math.trunc)],
      shapes: [[6], [6], [6], [6]],
      dtypes: ['float32', 'float32', 'float32', 'float32'],
    }));

  test('floor_divide and remainder take the divisor’s sign, as Python', () =>
    checkOp({
      inputs: [{ shape: [4], dtype: 'int64', values: [7, -7, 7, -7] }, { shape: [4], dtype: 'int64', values: [2, 2, -2, -2] }],
      sim: ([a, b]) => [ops.floorDivide(a, b), ops.remainder(a, b), ops.floorDivide(a, 3), ops.remainder(a, 3), ops.floorDivide(a, 2.5)],
      ref: ([a, b]) => [a.map((v, i) => Math.floor(v / b[i])), a.map((v, i) => v - Math.floor(v / b[i]) * b[i]), a.map((v) => Math.floor(v / 3)), a.map((v) => v - Math.floor(v / 3) * 3), a.map((v) => Math.floor(v / 2.5))],
      shapes: [[4], [4], [4], [4], [4]],
      dtypes: ['int64', 'int64', 'int64', 'int64', 'float32'],
    }));
});
