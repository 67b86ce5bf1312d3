import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { bcast, checkOp, pick, ravel, runError, unravel } from './harness.js';

before(async () => {
  await useBackend();
});

describe('views and copies', () => {
  test('expand [3,1] → [2,3,4] with −1, and its gradient sums', () =>
    checkOp({
      inputs: [{ shape: [3, 1] }],
      sim: ([x]) => ops.expand(x, [2, -1, 4]),
      ref: ([x]) => Array.from({ length: 24 }, (_, i) => bcast(x, [3, 1], [2, 3, 4], i)),
      shapes: [[2, 3, 4]],
      dtypes: ['float32'],
    }));

  test('expand: a non-1 dim cannot grow', async () => {
    assert.match(await runError((ctx) => ops.expand(ctx.zeros([2, 3]), [2, 4])), /dim 1 of \[2, 3\] has size 3, which cannot expand to 4/);
  });

  test('stack along dims 0, 1 and −1', () => {
    const s = [2, 3];
    const st = (d: number) => (xs: number[][]) => {
      const out = [...s];
      out.splice(d, 0, 2);
      return Array.from({ length: 12 }, (_, i) => {
        const idx = unravel(i, out);
        const k = idx[d];
        idx.splice(d, 1);
        return xs[k][ravel(idx, s)];
      });
    };
    return checkOp({
      inputs: [{ shape: s }, { shape: s }],
      sim: ([a, b]) => [ops.stack([a, b], 0), ops.stack([a, b], 1), ops.stack([a, b], -1)],
      ref: (xs) => [st(0)(xs), st(1)(xs), st(2)(xs)],
      shapes: [[2, 2, 3], [2, 2, 3], [2, 3, 2]],
      dtypes: ['float32', 'float32', 'float32'],
    });
  });

  test('select drops the dim; negative index counts from the end', () =>
    checkOp({
      inputs: [{ shape: [2, 3, 4] }],
      sim: ([x]) => [ops.select(x, 1, -1), ops.select(x, 0, 1)],
      ref: ([x]) => [pick([2, 4], [2, 3, 4], ([a, c]) => [a, 2, c])(x), pick([3, 4], [2, 3, 4], ([b, c]) => [1, b, c])(x)],
      shapes: [[2, 4], [3, 4]],
      dtypes: ['float32', 'float32'],
    }));

  test('strided slice x[:, 1::2], x[-4:-1:3] and an empty slice, gradients scattered into zeros', () =>
    checkOp({
      inputs: [{ shape: [3, 7] }],
      sim: ([x]) => [ops.slice(x, 1, 1, null, 2), ops.slice(x, -1, -4, -1, 3), ops.slice(x, 0, 2, 100), ops.slice(x, 0, 2, 1)],
      ref: ([x]) => [
        pick([3, 3], [3, 7], ([r, c]) => [r, 1 + 2 * c])(x),
        pick([3, 1], [3, 7], ([r]) => [r, 3])(x),
        pick([1, 7], [3, 7], ([, c]) => [2, c])(x),
        [],
      ],
      shapes: [[3, 3], [3, 1], [1, 7], [0, 7]],
      dtypes: ['float32', 'float32', 'float32', 'float32'],
    }));

  test('strided slice of int64 values (the WASM StridedSlice kernel misreads integers)', () =>
    checkOp({
      inputs: [{ shape: [7], dtype: 'int64', values: [5, 123456789, -3, 8, 9, 10, 11] }],
      sim: ([x]) => ops.slice(x, 0, 1, null, 3),
      ref: ([x]) => [x[1], x[4]],
      shapes: [[2]],
      dtypes: ['int64'],
    }));

  test('slice: step 0 is an error', async () => {
    assert.match(await runError((ctx) => ops.slice(ctx.zeros([4]), 0, 0, 4, 0)), /step must be a positive integer/);
  });

  test('flip dims [0, 2]', () =>
    checkOp({
      inputs: [{ shape: [2, 3, 4] }],
      sim: ([x]) => ops.flip(x, [0, -1]),
      ref: ([x]) => pick([2, 3, 4], [2, 3, 4], ([a, b, c]) => [1 - a, b, 3 - c])(x),
      shapes: [[2, 3, 4]],
      dtypes: ['float32'],
    }));

  test('repeat [2,3] by (2, 1, 2): a new leading dim, gradients of the tiles add up', () =>
    checkOp({
      inputs: [{ shape: [2, 3] }],
      sim: ([x]) => ops.repeat(x, [2, 1, 2]),
      ref: ([x]) => pick([2, 2, 6], [2, 3], ([, b, c]) => [b, c % 3])(x),
      shapes: [[2, 2, 6]],
      dtypes: ['float32'],
    }));

  test('squeeze all size-1 dims, or only the named ones', () =>
    checkOp({
      inputs: [{ shape: [1, 3, 1] }],
      sim: ([x]) => [ops.squeeze(x), ops.squeeze(x, -1), ops.squeeze(x, 1)],
      ref: ([x]) => [x, x, x],
      shapes: [[3], [1, 3], [1, 3, 1]],
      dtypes: ['float32', 'float32', 'float32'],
    }));
});

describe('bool tensors (the WASM backend misreads bool in some kernels)', () => {
  const m = [1, 0, 0, 1, 1, 0, 1, 1]; // [2, 4]
  test('flip, strided slice, select, repeat, expand, stack, gather, index_select, where and triu of a bool mask', () =>
    checkOp({
      inputs: [{ shape: [2, 4], dtype: 'bool', values: m }, { shape: [2], dtype: 'int64', values: [3, 0] }],
      sim: ([x, i]) => [
        ops.flip(x, 1),
        ops.slice(x, 1, 0, null, 2),
        ops.select(x, 0, 1),
        ops.repeat(x, [1, 2]),
        ops.expand(ops.reshape(x, [2, 1, 4]), [2, 3, 4]),
        ops.stack([x, x], 1),
        ops.gather(x, 1, ops.reshape(ops.stack([i, i], 1), [2, 2])),
        ops.indexSelect(x, 1, i),
        ops.whereBroadcast(ops.full(x.ctx, [4], true), x, ops.logicalNot(x)),
        ops.triu(x),
      ],
      ref: ([x]) => [
        pick([2, 4], [2, 4], ([r, c]) => [r, 3 - c])(x),
        pick([2, 2], [2, 4], ([r, c]) => [r, 2 * c])(x),
        x.slice(4),
        pick([2, 8], [2, 4], ([r, c]) => [r, c % 4])(x),
        pick([2, 3, 4], [2, 4], ([a, , c]) => [a, c])(x),
        pick([2, 2, 4], [2, 4], ([a, , c]) => [a, c])(x),
        [x[3], x[3], x[4], x[4]],
        [x[3], x[0], x[7], x[4]],
        x,
        pick([2, 4], [2, 4], ([r, c]) => (c >= r ? [r, c] : null))(x),
      ],
      shapes: [[2, 4], [2, 2], [4], [2, 8], [2, 3, 4], [2, 2, 4], [2, 2], [2, 2], [2, 4], [2, 4]],
      dtypes: Array(10).fill('bool'),
    }));
});
