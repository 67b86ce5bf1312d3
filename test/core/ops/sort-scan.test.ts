import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp, ravel, runError, unravel } from './harness.js';

before(async () => {
  await useBackend();
});

const S = [2, 3, 4];

/** Apply f to every line along dim d of a flat [2,3,4] array; f returns the new line. */
function lines(d: number, outLen: number, f: (line: number[]) => number[]): (x: number[]) => number[] {
  const out = S.map((s, i) => (i === d ? outLen : s));
  return (x) => {
    const res = new Array<number>(out.reduce((a, b) => a * b, 1));
    for (let i = 0; i < x.length; i++) {
      const idx = unravel(i, S);
      if (idx[d] !== 0) continue;
      const line = Array.from({ length: S[d] }, (_, k) => x[ravel(idx.map((v, j) => (j === d ? k : v)), S)]);
      f(line).forEach((v, k) => (res[ravel(idx.map((v2, j) => (j === d ? k : v2)), out)] = v));
    }
    return res;
  };
}
const order = (line: number[], desc: boolean) => line.map((v, i) => [v, i]).sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]));

describe('cumsum, topk, sort against dense references', () => {
  test('cumsum along dims 0, −1; int64 input gives int64', () =>
    checkOp({
      inputs: [{ shape: S }, { shape: [4], dtype: 'bool', values: [1, 0, 1, 1] }],
      sim: ([x, m]) => [ops.cumsum(x, 0), ops.cumsum(x, -1), ops.cumsum(m, 0)],
      ref: ([x, m]) => {
        const cs = (l: number[]) => l.map((_, i) => l.slice(0, i + 1).reduce((a, b) => a + b, 0));
        return [lines(0, 2, cs)(x), lines(2, 4, cs)(x), cs(m)];
      },
      shapes: [S, S, [4]],
      dtypes: ['float32', 'float32', 'int64'],
    }));

  test('topk k=2 along dim 1 (largest) and dim −1 (smallest): values, int64 indices, gradient to the picks', () =>
    checkOp({
      inputs: [{ shape: S }],
      sim: ([x]) => [...ops.topk(x, 2, 1), ...ops.topk(x, 3, -1, false)],
      ref: ([x]) => [
        lines(1, 2, (l) => order(l, true).slice(0, 2).map((p) => p[0]))(x),
        lines(1, 2, (l) => order(l, true).slice(0, 2).map((p) => p[1]))(x),
        lines(2, 3, (l) => order(l, false).slice(0, 3).map((p) => p[0]))(x),
        lines(2, 3, (l) => order(l, false).slice(0, 3).map((p) => p[1]))(x),
      ],
      shapes: [[2, 2, 4], [2, 2, 4], [2, 3, 3], [2, 3, 3]],
      dtypes: ['float32', 'int64', 'float32', 'int64'],
    }));

  test('sort ascending (default) and descending', () =>
    checkOp({
      inputs: [{ shape: S }],
      sim: ([x]) => [...ops.sort(x), ...ops.sort(x, 0, true)],
      ref: ([x]) => [
        lines(2, 4, (l) => order(l, false).map((p) => p[0]))(x),
        lines(2, 4, (l) => order(l, false).map((p) => p[1]))(x),
        lines(0, 2, (l) => order(l, true).map((p) => p[0]))(x),
        lines(0, 2, (l) => order(l, true).map((p) => p[1]))(x),
      ],
      shapes: [S, S, S, S],
      dtypes: ['float32', 'int64', 'float32', 'int64'],
    }));

  test('topk: k larger than the dim is an error', async () => {
    assert.match(await runError((ctx) => ops.topk(ctx.zeros([2, 3]), 4)), /k = 4 is out of range for dim 1 of size 3/);
  });
});
