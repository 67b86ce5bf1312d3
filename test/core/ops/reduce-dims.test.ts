import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp, reduceRef, run1 } from './harness.js';

before(async () => {
  await useBackend();
});

const S = [2, 3, 4];
const max = (v: number[]) => Math.max(...v);
const min = (v: number[]) => Math.min(...v);
const argOf = (f: (v: number[]) => number) => (v: number[]) => v.indexOf(f(v));
const variance = (c: number) => (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - c);
};

describe('reductions over dims against dense references', () => {
  test('amax / amin over [0, 2], over −1 with keepdim, over all', () =>
    checkOp({
      inputs: [{ shape: S }],
      sim: ([x]) => [ops.amax(x, [0, 2]), ops.amin(x, -1, true), ops.amax(x)],
      ref: ([x]) => [reduceRef(S, [0, 2], max)(x), reduceRef(S, [2], min)(x), [max(x)]],
      shapes: [[3], [2, 3, 1], []],
      dtypes: ['float32', 'float32', 'float32'],
    }));

  test('max / min over a dim give values and int64 indices; gradient to the index', () =>
    checkOp({
      inputs: [{ shape: S }],
      sim: ([x]) => [...ops.maxDim(x, 1), ...ops.minDim(x, -1, true)],
      ref: ([x]) => [reduceRef(S, [1], max)(x), reduceRef(S, [1], argOf(max))(x), reduceRef(S, [2], min)(x), reduceRef(S, [2], argOf(min))(x)],
      shapes: [[2, 4], [2, 4], [2, 3, 1], [2, 3, 1]],
      dtypes: ['float32', 'int64', 'float32', 'int64'],
    }));

  test('argmax / argmin over a dim and over the flattened tensor', () =>
    checkOp({
      inputs: [{ shape: S }],
      sim: ([x]) => [ops.argmax(x, 0), ops.argmin(x, 2, true), ops.argmax(x), ops.argmin(x)],
      ref: ([x]) => [reduceRef(S, [0], argOf(max))(x), reduceRef(S, [2], argOf(min))(x), [argOf(max)(x)], [argOf(min)(x)]],
      shapes: [[3, 4], [2, 3, 1], [], []],
      dtypes: ['int64', 'int64', 'int64', 'int64'],
    }));

  test('prod over a dim and over all (gradient of a product)', () =>
    checkOp({
      inputs: [{ shape: [2, 3], kind: 'nonzero' }],
      sim: ([x]) => [ops.prod(x, 1), ops.prod(x, 0, true), ops.prod(x)],
      ref: ([x]) => [reduceRef([2, 3], [1], (v) => v.reduce((a, b) => a * b, 1))(x), reduceRef([2, 3], [0], (v) => v.reduce((a, b) => a * b, 1))(x), [x.reduce((a, b) => a * b, 1)]],
      shapes: [[2], [1, 3], []],
      dtypes: ['float32', 'float32', 'float32'],
    }));

  test('var / std: unbiased (default) and population, over dims and all', () =>
    checkOp({
      inputs: [{ shape: S }],
      sim: ([x]) => [ops.variance(x, -1), ops.variance(x, [0, 1], { correction: 0, keepdim: true }), ops.std(x), ops.std(x, 1, { correction: 0 })],
      ref: ([x]) => [reduceRef(S, [2], variance(1))(x), reduceRef(S, [0, 1], variance(0))(x), [Math.sqrt(variance(1)(x))], reduceRef(S, [1], (v) => Math.sqrt(variance(0)(v)))(x)],
      shapes: [[2, 3], [1, 1, 4], [], [2, 4]],
      dtypes: ['float32', 'float32', 'float32', 'float32'],
    }));

  test('sum and mean (reduce.ts) take lists of dims, negative dims and keepdim', () =>
    checkOp({
      inputs: [{ shape: S }],
      sim: ([x]) => [ops.sum(x, [-1, 0], true), ops.mean(x, [0, 1]), ops.mean(x)],
      ref: ([x]) => [reduceRef(S, [0, 2], (v) => v.reduce((a, b) => a + b, 0))(x), reduceRef(S, [0, 1], (v) => v.reduce((a, b) => a + b, 0) / v.length)(x), [x.reduce((a, b) => a + b, 0) / x.length]],
      shapes: [[1, 3, 1], [4], []],
      dtypes: ['float32', 'float32', 'float32'],
    }));
});

describe('ties and zeros, as PyTorch', () => {
  test('amax splits the gradient among tied maxima; max(dim) gives it to the first index', async () => {
    const r = await run1(async (ctx) => {
      const x = ctx.param(ctx.tensor([3, 1, 3, 2], [4]));
      await ctx.backward(ops.amax(x));
      const g1 = Array.from(await x.grad!.values());
      const y = ctx.param(ctx.tensor([3, 1, 3, 2], [4]));
      const [v, i] = ops.maxDim(y, 0);
      await ctx.backward(v);
      return { g1, g2: Array.from(await y.grad!.values()), i: Array.from(await i.values()) };
    });
    assert.deepEqual(r, { g1: [0.5, 0, 0.5, 0], g2: [1, 0, 0, 0], i: [0] });
  });

  test('prod with a zero: the gradient is the product of the others', async () => {
    const g = await run1(async (ctx) => {
      const x = ctx.param(ctx.tensor([2, 0, 3, 4], [4]));
      await ctx.backward(ops.prod(x));
      return Array.from(await x.grad!.values());
    });
    assert.deepEqual(g, [0, 24, 0, 0]);
  });

  test('prod of int32 gives int64', async () => {
    assert.equal(await run1((ctx) => ops.prod(ctx.tensor([2, 3], [2], 'int32')).dtype), 'int64');
  });
});

describe('any / all', () => {
  test('over a dim, with keepdim, and over everything; numbers count as ≠ 0', () =>
    checkOp({
      inputs: [{ shape: [2, 3], dtype: 'bool', values: [1, 0, 0, 1, 1, 1] }, { shape: [3], dtype: 'int64', values: [0, 2, 0] }],
      sim: ([m, i]) => [ops.any(m, 1), ops.all(m, 1, true), ops.all(m), ops.any(i), ops.all(i, 0)],
      ref: ([m, i]) => [[1, 1], [0, 1], [0], [1], [0]],
      shapes: [[2], [2, 1], [], [], []],
      dtypes: ['bool', 'bool', 'bool', 'bool', 'bool'],
    }));
});

