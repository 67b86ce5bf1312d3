import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp, ravel, run1, unravel } from './harness.js';

before(async () => {
  await useBackend();
});

const S = [2, 3, 4];

/** softmax / log-softmax along dim d, by loops over each line of that dim. */
function along(d: number, f: (line: number[]) => number[]): (x: number[]) => number[] {
  return (x) => {
    const out = new Array<number>(x.length);
    for (let i = 0; i < x.length; i++) {
      const idx = unravel(i, S);
      if (idx[d] !== 0) continue;
      const pos = Array.from({ length: S[d] }, (_, k) => ravel(idx.map((v, j) => (j === d ? k : v)), S));
      f(pos.map((p) => x[p])).forEach((v, k) => (out[pos[k]] = v));
    }
    return out;
  };
}
const sm = (l: number[]) => {
  const e = l.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const lsm = (l: number[]) => {
  const s = Math.log(l.map(Math.exp).reduce((a, b) => a + b, 0));
  return l.map((v) => v - s);
};

describe('softmax and log_softmax over any dim', () => {
  for (const d of [0, 1, -1]) {
    test(`dim ${d}`, () =>
      checkOp({
        inputs: [{ shape: S }],
        sim: ([x]) => [ops.softmaxDim(x, d), ops.logSoftmax(x, d)],
        ref: ([x]) => [along((d + 3) % 3, sm)(x), along((d + 3) % 3, lsm)(x)],
        shapes: [S, S],
        dtypes: ['float32', 'float32'],
      }));
  }

  test('large logits stay finite (stabilised by the max)', () =>
    checkOp({
      inputs: [{ shape: [1, 3], values: [1000, 1001, 999] }],
      sim: ([x]) => [ops.softmaxDim(x, 1), ops.logSoftmax(x, 1)],
      ref: ([x]) => [sm(x.map((v) => v - 1001)), lsm(x.map((v) => v - 1001))],
      shapes: [[1, 3], [1, 3]],
      dtypes: ['float32', 'float32'],
    }));
});

describe('logsumexp', () => {
  test('over dims [0, 2] and over −1 with keepdim', () =>
    checkOp({
      inputs: [{ shape: S }],
      sim: ([x]) => [ops.logsumexp(x, [0, 2]), ops.logsumexp(x, -1, true)],
      ref: ([x]) => {
        const lse = (v: number[]) => Math.log(v.reduce((a, b) => a + Math.exp(b), 0));
        const over02 = [0, 1, 2].map((j) => lse(x.filter((_, i) => unravel(i, S)[1] === j)));
        const overLast = [0, 1, 2, 3, 4, 5].map((r) => lse(x.slice(r * 4, r * 4 + 4)));
        return [over02, overLast];
      },
      shapes: [[3], [2, 3, 1]],
      dtypes: ['float32', 'float32'],
    }));

  test('large values stay finite; a fully −inf row gives −inf', async () => {
    const v = await run1(async (ctx) => Array.from(await ops.logsumexp(ctx.tensor([1000, 1000, -Infinity, -Infinity], [2, 2]), 1).values()));
    assert.ok(Math.abs(v[0] - (1000 + Math.log(2))) < 1e-3, String(v[0]));
    assert.equal(v[1], -Infinity);
  });
});

