import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp, runError } from './harness.js';

before(async () => {
  await useBackend();
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
