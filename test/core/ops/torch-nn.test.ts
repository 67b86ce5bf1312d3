import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops, simulate } from '../../../src/core/index.js';
import { checkOp, run1, runError } from './harness.js';

before(async () => {
  await useBackend();
});

function erfRef(x: number): number {
  let term = x;
  let s = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    s += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

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

describe('normalisation over normalized_shape', () => {
  const lnRef = (x: number[], h: number, w: number[] | null, b: number[] | null, eps: number) => {
    const out: number[] = [];
    for (let r = 0; r < x.length / h; r++) {
      const row = x.slice(r * h, (r + 1) * h);
      const mu = row.reduce((a, v) => a + v, 0) / h;
      const v = row.reduce((a, q) => a + (q - mu) ** 2, 0) / h;
      row.forEach((q, i) => out.push(((q - mu) / Math.sqrt(v + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0)));
    }
    return out;
  };
  const rmsRef = (x: number[], h: number, w: number[] | null, eps: number) => {
    const out: number[] = [];
    for (let r = 0; r < x.length / h; r++) {
      const row = x.slice(r * h, (r + 1) * h);
      const ms = row.reduce((a, q) => a + q * q, 0) / h;
      row.forEach((q, i) => out.push((q / Math.sqrt(ms + eps)) * (w ? w[i] : 1)));
    }
    return out;
  };

  test('layer_norm over the last two dims [3, 4] with weight and bias', () =>
    checkOp({
      inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }],
      sim: ([x, w, b]) => ops.layerNormNd(x, [3, 4], w, b),
      ref: ([x, w, b]) => lnRef(x, 12, w, b, 1e-5),
      shapes: [[2, 3, 4]],
      dtypes: ['float32'],
    }));

  test('layer_norm without weight and bias (elementwise_affine=False), and with weight only', () =>
    checkOp({
      inputs: [{ shape: [3, 5] }, { shape: [5] }],
      sim: ([x, w]) => [ops.layerNormNd(x, [5]), ops.layerNormNd(x, [5], w, null, 1e-3)],
      ref: ([x, w]) => [lnRef(x, 5, null, null, 1e-5), lnRef(x, 5, w, null, 1e-3)],
      shapes: [[3, 5], [3, 5]],
      dtypes: ['float32', 'float32'],
    }));

  test('layer_norm: a normalized_shape that is not the trailing dims is an error', async () => {
    assert.match(await runError((ctx) => ops.layerNormNd(ctx.zeros([2, 3]), [2])), /normalized_shape \[2\] does not match the last dims of the input \[2, 3\]/);
  });

  test('rms_norm with and without weight; default ε is finfo(float32).eps', () =>
    checkOp({
      inputs: [{ shape: [2, 2, 3] }, { shape: [2, 3] }],
      sim: ([x, w]) => [ops.rmsNormNd(x, [2, 3], w), ops.rmsNormNd(x, [3], null, 1e-2)],
      ref: ([x, w]) => [rmsRef(x, 6, w, 2 ** -23), rmsRef(x, 3, null, 1e-2)],
      shapes: [[2, 2, 3], [2, 2, 3]],
      dtypes: ['float32', 'float32'],
    }));

  test('finfo eps per dtype', () => {
    assert.equal(ops.finfoEps('float32'), 1.1920928955078125e-7);
    assert.equal(ops.finfoEps('bfloat16'), 0.0078125);
    assert.equal(ops.finfoEps('float16'), 0.0009765625);
  });
});

describe('activations and embedding', () => {
  test("gelu approximate='none' is x·Φ(x) with erf; 'tanh' is the existing tanh form", () =>
    checkOp({
      inputs: [{ shape: [3, 4] }],
      sim: ([x]) => [ops.geluErf(x), ops.geluApprox(x), ops.geluApprox(x, 'tanh')],
      ref: ([x]) => [x.map((v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))), x.map((v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))), x.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))))],
      shapes: [[3, 4], [3, 4], [3, 4]],
      dtypes: ['float32', 'float32', 'float32'],
    }));

  test('embedding takes int64 ids', () =>
    checkOp({
      inputs: [{ shape: [5, 3] }, { shape: [2, 2], dtype: 'int64', values: [4, 0, 4, 2] }],
      sim: ([w, ids]) => ops.embedding(w, ids),
      ref: ([w, ids]) => ids.flatMap((i) => w.slice(i * 3, i * 3 + 3)),
      shapes: [[2, 2, 3]],
      dtypes: ['float32'],
    }));
});

describe('dropout', () => {
  test('drops about p of the elements, scales the rest by 1/(1 − p); gradient is mask · dy/(1 − p)', async () => {
    const n = 4000;
    const r = await run1(async (ctx) => {
      const x = ctx.param(ctx.tensor(Array.from({ length: n }, (_, i) => 1 + (i % 7)), [n]));
      const y = ops.torchDropout(x, 0.25, true, { key: 'd0' });
      await ctx.backward(ops.sum(y));
      return { x: Array.from(await x.values()), y: Array.from(await y.values()), g: Array.from(await x.grad!.values()) };
    });
    const kept = r.y.map((v) => v !== 0);
    const frac = 1 - kept.filter(Boolean).length / n;
    assert.ok(Math.abs(frac - 0.25) < 0.03, `dropped ${frac}`);
    r.y.forEach((v, i) => assert.ok(v === 0 || Math.abs(v - r.x[i] / 0.75) < 1e-5, `y[${i}] = ${v}`));
    r.g.forEach((v, i) => assert.ok(Math.abs(v - (kept[i] ? 1 / 0.75 : 0)) < 1e-6, `g[${i}] = ${v}`));
  });

  test('identity when not training or p = 0; p = 1 gives zeros; deterministic per seed and key', async () => {
    const r = await run1(async (ctx) => {
      const x = ctx.randn([64]);
      const a = Array.from(await ops.torchDropout(x, 0.5, true, { key: 'k' }).values());
      const b = Array.from(await ops.torchDropout(x, 0.5, true, { key: 'k' }).values());
      const c = Array.from(await ops.torchDropout(x, 0.5, true, { key: 'other' }).values());
      return { same: ops.torchDropout(x, 0.5, false) === x && ops.torchDropout(x, 0) === x, ab: a.join() === b.join(), ac: a.join() === c.join(), ones: Array.from(await ops.torchDropout(x, 1).values()).every((v) => v === 0) };
    });
    assert.deepEqual(r, { same: true, ab: true, ac: false, ones: true });
  });

  test('memory: the 1-byte mask stays alive for backward, the input does not', async () => {
    // meta mode. After the forward, a 2 MiB temporary (a [2¹⁸] fp32 leaf and its scaled copy)
    // sets the peak; live beside it: w and w.grad (4096 B each, pinned for the whole run) and the
    // dropout mask (1024 B: saved for backward). Dropout's input and output and the loss are dead
    // by then (nothing saves them; the loss is only backward's root).
    const peak = async (p: number) => {
      const res = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, async (ctx) => {
        const w = ctx.param(ctx.zeros([1024]), 'w');
        const z = ops.sum(ops.torchDropout(ops.scale(w, 1), p, true));
        ops.scale(ctx.zeros([2 ** 18]), 2);
        await ctx.backward(z);
      });
      assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
      return res.memory[0].peakBytes;
    };
    assert.equal(await peak(0.1), 2 * 2 ** 20 + 2 * 4096 + 1024);
    assert.equal(await peak(0), 2 * 2 ** 20 + 2 * 4096, 'p = 0: no mask');
  });
});
