import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp, run1, runError } from './harness.js';

before(async () => {
  await useBackend();
});

/** −log softmax(row)[t] per row of a [M, C] flat array; NaN-free, float64. */
function ceRows(x: number[], c: number, t: number[]): number[] {
  return t.map((ti, i) => {
    const row = x.slice(i * c, (i + 1) * c);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    return lse - row[ti];
  });
}

const reduce = (each: number[], t: number[], ignore: number, how: 'mean' | 'sum' | 'none'): number[] => {
  const kept = each.map((v, i) => (t[i] === ignore ? 0 : v));
  if (how === 'none') return kept;
  const s = kept.reduce((a, b) => a + b, 0);
  return [how === 'sum' ? s : s / t.filter((v) => v !== ignore).length];
};

describe('losses', () => {
  test('cross_entropy [N, C] / [N]: mean, sum, none, with ignore_index −100', () => {
    const t = [2, -100, 0, 4, 1];
    return checkOp({
      inputs: [{ shape: [5, 6] }, { shape: [5], dtype: 'int64', values: t }],
      sim: ([x, y]) => [ops.crossEntropyLoss(x, y), ops.crossEntropyLoss(x, y, { reduction: 'sum' }), ops.crossEntropyLoss(x, y, { reduction: 'none' })],
      ref: ([x]) => [reduce(ceRows(x, 6, t.map((v) => Math.max(v, 0))), t, -100, 'mean'), reduce(ceRows(x, 6, t.map((v) => Math.max(v, 0))), t, -100, 'sum'), reduce(ceRows(x, 6, t.map((v) => Math.max(v, 0))), t, -100, 'none')],
      shapes: [[], [], [5]],
      dtypes: ['float32', 'float32', 'float32'],
    });
  });

  test('cross_entropy [N, C, S] / [N, S] (class dim 1), a custom ignore_index, reduction none keeps [N, S]', () => {
    const t = [0, 1, 3, 2, 3, 1]; // [N=2, S=3]
    // rows ordered (n, s): element (n, c, s) at n·C·S + c·S + s
    const rowsOf = (x: number[]) => {
      const out: number[] = [];
      for (let n = 0; n < 2; n++) for (let s = 0; s < 3; s++) for (let c = 0; c < 4; c++) out.push(x[n * 12 + c * 3 + s]);
      return out;
    };
    return checkOp({
      inputs: [{ shape: [2, 4, 3] }, { shape: [2, 3], dtype: 'int64', values: t }],
      sim: ([x, y]) => [ops.crossEntropyLoss(x, y, { ignoreIndex: 3 }), ops.crossEntropyLoss(x, y, { reduction: 'none', ignoreIndex: 3 })],
      ref: ([x]) => [reduce(ceRows(rowsOf(x), 4, t.map((v) => (v === 3 ? 0 : v))), t, 3, 'mean'), reduce(ceRows(rowsOf(x), 4, t.map((v) => (v === 3 ? 0 : v))), t, 3, 'none')],
      shapes: [[], [2, 3]],
      dtypes: ['float32', 'float32'],
    });
  });

  test('cross_entropy of one [C] row with a 0-d target', () =>
    checkOp({
      inputs: [{ shape: [4] }, { shape: [], dtype: 'int64', values: [2] }],
      sim: ([x, y]) => ops.crossEntropyLoss(x, y),
      ref: ([x]) => ceRows(x, 4, [2]),
      shapes: [[]],
      dtypes: ['float32'],
    }));

  test('cross_entropy: [B, S, C] with [B, S] is an error that says how to flatten; out-of-range targets are errors', async () => {
    const msg = await runError((ctx) => ops.crossEntropyLoss(ctx.zeros([2, 3, 5]), ctx.zeros([2, 3], 'int64')));
    assert.match(msg, /input \[2, 3, 5\] needs targets of shape \[2, 5\], got \[2, 3\]/);
    assert.match(msg, /view\(-1, C\)/);
    assert.match(await runError((ctx) => ops.crossEntropyLoss(ctx.zeros([2, 3]), ctx.tensor([0, 3], [2], 'int64'))), /target 3 is out of range for 3 classes/);
  });

  test('every target ignored: mean is NaN, as PyTorch', async () => {
    const v = await run1(async (ctx) => Array.from(await ops.crossEntropyLoss(ctx.zeros([2, 3]), ctx.tensor([-100, -100], [2], 'int64')).values()));
    assert.ok(Number.isNaN(v[0]));
  });

  test('nll_loss of log-probabilities: mean with ignore_index, sum, none', () => {
    const t = [1, 0, -100];
    return checkOp({
      inputs: [{ shape: [3, 4] }, { shape: [3], dtype: 'int64', values: t }],
      sim: ([x, y]) => [ops.nllLoss(x, y), ops.nllLoss(x, y, { reduction: 'sum' }), ops.nllLoss(x, y, { reduction: 'none' })],
      ref: ([x]) => {
        const each = t.map((ti, i) => (ti === -100 ? 0 : -x[i * 4 + ti]));
        return [[(each[0] + each[1]) / 2], [each[0] + each[1]], each];
      },
      shapes: [[], [], [3]],
      dtypes: ['float32', 'float32', 'float32'],
    });
  });

  test('cross_entropy = nll_loss(log_softmax) (the same function by two routes)', () =>
    checkOp({
      inputs: [{ shape: [4, 5] }, { shape: [4], dtype: 'int64', values: [4, 0, 2, 2] }],
      sim: ([x, y]) => ops.sub(ops.crossEntropyLoss(x, y), ops.nllLoss(ops.logSoftmax(x, 1), y)),
      ref: () => [0],
      shapes: [[]],
      dtypes: ['float32'],
    }));

  test('mse_loss: mean, sum, none (broadcast target)', () =>
    checkOp({
      inputs: [{ shape: [2, 3] }, { shape: [3] }],
      sim: ([a, b]) => [ops.mseLoss(a, b), ops.mseLoss(a, b, 'sum'), ops.mseLoss(a, b, 'none')],
      ref: ([a, b]) => {
        const each = a.map((v, i) => (v - b[i % 3]) ** 2);
        const s = each.reduce((x, y) => x + y, 0);
        return [[s / 6], [s], each];
      },
      shapes: [[], [], [2, 3]],
      dtypes: ['float32', 'float32', 'float32'],
    }));
});
