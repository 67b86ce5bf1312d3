import { test, describe, before } from 'node:test';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp, elementwise } from './harness.js';

before(async () => {
  await useBackend();
});

const b = (v: boolean) => (v ? 1 : 0);

describe('comparisons and logic: bool results, broadcast, no gradient', () => {
  test('tensor vs tensor [2,3] vs [3] (with ties)', () =>
    checkOp({
      inputs: [{ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, { shape: [3], values: [1, 5, 9] }],
      sim: ([x, y]) => [ops.eq(x, y), ops.ne(x, y), ops.lt(x, y), ops.le(x, y), ops.gt(x, y), ops.ge(x, y)],
      ref: (xs) => [(p: number, q: number) => b(p === q), (p: number, q: number) => b(p !== q), (p: number, q: number) => b(p < q), (p: number, q: number) => b(p <= q), (p: number, q: number) => b(p > q), (p: number, q: number) => b(p >= q)].map((f) => elementwise([[2, 3], [3]], [2, 3], f)(xs)),
      shapes: Array(6).fill([2, 3]),
      dtypes: Array(6).fill('bool'),
    }));

  test('tensor vs number; int64 vs a float scalar compares as float', () =>
    checkOp({
      inputs: [{ shape: [5], dtype: 'int64', values: [-1, 0, 1, 2, 3] }],
      sim: ([x]) => [ops.gt(x, 0.5), ops.eq(x, 2), ops.le(x, 0)],
      ref: ([x]) => [x.map((v) => b(v > 0.5)), x.map((v) => b(v === 2)), x.map((v) => b(v <= 0))],
      shapes: [[5], [5], [5]],
      dtypes: ['bool', 'bool', 'bool'],
    }));

  test('int64 vs float32 tensor', () =>
    checkOp({
      inputs: [{ shape: [3], dtype: 'int64', values: [1, 2, 3] }, { shape: [3], values: [1.5, 2, 2.5], grad: false }],
      sim: ([x, y]) => ops.lt(x, y),
      ref: ([x, y]) => x.map((v, i) => b(v < y[i])),
      shapes: [[3]],
      dtypes: ['bool'],
    }));

  test('logical not / and / or / xor, broadcast, nonzero is true', () =>
    checkOp({
      inputs: [{ shape: [2, 2], dtype: 'bool', values: [1, 0, 1, 0] }, { shape: [2, 1], dtype: 'int64', values: [0, 7] }],
      sim: ([p, q]) => [ops.logicalNot(q), ops.logicalAnd(p, q), ops.logicalOr(p, q), ops.logicalXor(p, q)],
      ref: (xs) => [xs[1].map((v) => b(!v)), ...[(x: number, y: number) => b(!!x && !!y), (x: number, y: number) => b(!!x || !!y), (x: number, y: number) => b(!!x !== !!y)].map((f) => elementwise([[2, 2], [2, 1]], [2, 2], f)(xs))],
      shapes: [[2, 1], [2, 2], [2, 2], [2, 2]],
      dtypes: ['bool', 'bool', 'bool', 'bool'],
    }));

  test('a comparison of a parameter does not require grad', () =>
    checkOp({ inputs: [{ shape: [4] }], sim: ([x]) => ops.gt(x, 0), ref: ([x]) => x.map((v) => b(v > 0)), shapes: [[4]], dtypes: ['bool'] }));
});

describe('isnan, isinf, isfinite', () => {
  test('floats and integers', () =>
    checkOp({
      inputs: [{ shape: [4], values: [NaN, Infinity, -Infinity, 1.5], grad: false }, { shape: [2], dtype: 'int64', values: [3, -1] }],
      sim: ([x, i]) => [ops.isnan(x), ops.isinf(x), ops.isfinite(x), ops.isnan(i), ops.isfinite(i)],
      ref: ([x, i]) => [x.map((v) => b(Number.isNaN(v))), x.map((v) => b(Math.abs(v) === Infinity)), x.map((v) => b(Number.isFinite(v))), i.map(() => 0), i.map(() => 1)],
      shapes: [[4], [4], [4], [2], [2]],
      dtypes: ['bool', 'bool', 'bool', 'bool', 'bool'],
    }));
});

