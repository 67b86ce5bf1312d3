import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { bcast, checkOp, elementwise, prod, ravel, run1, runError, unravel } from './harness.js';

before(async () => {
  await useBackend();
});

/** Dense reference of an op that maps each output index to an input index (or a constant). */
function pick(outShape: number[], inShape: number[], at: (idx: number[]) => number[] | null, fill = 0): (x: number[]) => number[] {
  return (x) =>
    Array.from({ length: prod(outShape) }, (_, i) => {
      const src = at(unravel(i, outShape));
      return src === null ? fill : x[ravel(src, inShape)];
    });
}

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
