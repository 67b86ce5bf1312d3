import { test, describe, before } from 'node:test';
import { useBackend } from '../../helpers/backend.js';
import { ops } from '../../../src/core/index.js';
import { checkOp } from './harness.js';

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
