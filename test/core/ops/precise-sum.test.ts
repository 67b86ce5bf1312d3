/**
 * The loss of a 1M-element mean agrees with a float64 reference to 1e-6 on both TensorFlow.js
 * backends (CPU and WASM), where a sequential float32 sum — WASM's own Mean kernel — is off by
 * more than 1e-5 (the control). Reference: plain JS float64 loops over the same float32 inputs.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runner/backend.js';
import { ops, simulate, type RankContext } from '../../../src/core/index.js';
import { computeLoss } from '../../../src/parallel/simulation/loss.js';
import { prng } from './harness.js';
import { preciseSumData } from '../../../src/core/ops/precise-sum.js';

const N = 1 << 20;

before(async () => {
  // both backends registered; each test case picks one with tf.setBackend
  await initBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm', 'the WASM backend must start for this test');
  await initBackend('cpu');
});

/** float32 values whose sequential float32 sum drifts: all positive, around 0.3 (not a dyadic fraction). */
function values(seed: number, offset: number): Float32Array {
  const r = prng(seed);
  const v = new Float32Array(N);
  for (let i = 0; i < N; i++) v[i] = offset + 0.01 * r();
  return v;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

async function onRank<R>(fn: (ctx: RankContext) => R | Promise<R>): Promise<R> {
  const res = await simulate({ mesh: { tp: 1 } }, fn);
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return res.returns[0] as R;
}

test('control: a sequential float32 sum of the 1M values is off by more than 1e-5', () => {
  const x = values(1, 0.3);
  let f32 = 0;
  let f64 = 0;
  for (let i = 0; i < N; i++) {
    f32 = Math.fround(f32 + x[i]);
    f64 += x[i];
  }
  assert.ok(rel(f32 / N, f64 / N) > 1e-5, `naive float32 mean off by only ${rel(f32 / N, f64 / N)}`);
  // WASM's own Mean kernel sums that way: what the loss used before
  tf.setBackend('wasm');
  const raw = tf.tidy(() => tf.mean(tf.tensor(x)).dataSync()[0]);
  assert.ok(rel(raw, f64 / N) > 1e-5, `tf.mean on WASM is off by only ${rel(raw, f64 / N)}: the kernel changed`);
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: ops.mean and ops.sum of 1M float32 values agree with float64 to 1e-6`, async () => {
    tf.setBackend(backend);
    const x = values(2, 0.3);
    let f64 = 0;
    for (let i = 0; i < N; i++) f64 += x[i];
    const [m, s, rows] = await onRank((ctx) => {
      const t = ctx.tensor(x, [1024, 1024]);
      return [ops.mean(t).data!.dataSync()[0], ops.sum(t).data!.dataSync()[0], ops.mean(t, 1).data!.dataSync()];
    });
    assert.ok(rel(m, f64 / N) < 1e-6, `mean off by ${rel(m, f64 / N)}`);
    assert.ok(rel(s, f64) < 1e-6, `sum off by ${rel(s, f64)}`);
    // per-row means (1024 terms each: over the threshold) also against float64
    for (const r of [0, 511, 1023]) {
      let e = 0;
      for (let k = 0; k < 1024; k++) e += x[r * 1024 + k];
      assert.ok(rel(rows[r], e / 1024) < 1e-6, `row ${r} mean off by ${rel(rows[r], e / 1024)}`);
    }
    // the reduced dims not innermost: mean over dim 0 (a transpose first)
    const cols = await onRank((ctx) => ops.mean(ctx.tensor(x, [1024, 1024]), 0).data!.dataSync());
    let c7 = 0;
    for (let k = 0; k < 1024; k++) c7 += x[k * 1024 + 7];
    assert.ok(rel(cols[7], c7 / 1024) < 1e-6, `column mean off by ${rel(cols[7], c7 / 1024)}`);
  });

  test(`${backend}: the MSE loss of a 1M-element output agrees with float64 to 1e-6`, async () => {
    tf.setBackend(backend);
    const z = values(3, 0.9);
    const t = values(4, 0.3);
    let f64 = 0;
    for (let i = 0; i < N; i++) f64 += (z[i] - t[i]) ** 2;
    const loss = await onRank(async (ctx) => (await computeLoss(ctx.tensor(z, [4, 256, 1024]), ctx.tensor(t, [4, 256, 1024]), 'mse', undefined)).data!.dataSync()[0]);
    assert.ok(rel(loss, f64 / N) < 1e-6, `loss off by ${rel(loss, f64 / N)}`);
  });

  test(`${backend}: the cross-entropy loss over 2^16 tokens agrees with float64 to 1e-6`, async () => {
    tf.setBackend(backend);
    const rows = 1 << 16;
    const v = 4;
    const r = prng(5);
    const logits = new Float32Array(rows * v).map(() => 2 * r());
    const targets = new Int32Array(rows).map((_, i) => i % v);
    let f64 = 0;
    for (let n = 0; n < rows; n++) {
      const row = [...logits.subarray(n * v, n * v + v)];
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((a, b) => a + Math.exp(b - mx), 0));
      f64 += lse - row[targets[n]];
    }
    const [ce, nll] = await onRank((ctx) => {
      const lg = ctx.tensor(logits, [rows, v]);
      const tg = ctx.tensor(targets, [rows], 'int32');
      return [ops.crossEntropy(lg, tg).data!.dataSync()[0], ops.crossEntropyLoss(lg, tg).data!.dataSync()[0]];
    });
    assert.ok(rel(ce, f64 / rows) < 1e-6, `crossEntropy off by ${rel(ce, f64 / rows)}`);
    assert.ok(rel(nll, f64 / rows) < 1e-6, `cross_entropy (torch's) off by ${rel(nll, f64 / rows)}`);
  });
}


test('the float64 sum is differentiable for TensorFlow.js autodiff (the reference gradients): dy / n over the reduced dims', () => {
  tf.setBackend('wasm');
  const g = tf.tidy(() => {
    const x = tf.tensor(new Float32Array(2 * 3 * 128).map((_, i) => i % 7), [2, 3, 128]);
    const dy = tf.tensor([[1, 2], [3, 4], [5, 6]]); // over the kept dims [3, 2]… of x transposed: ds = [0, 2]
    return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(preciseSumData(t, [0, 2], false, 4), tf.reshape(tf.sum(dy, 1), [3]))))(x).arraySync() as number[][][];
  });
  // d/dx[i, j, k] of Σ_j w_j · (Σ_{i,k} x[i, j, k]) / 4 = w_j / 4, w = [3, 7, 11]
  for (const i of [0, 1]) for (const [j, w] of [[0, 3], [1, 7], [2, 11]]) assert.equal(g[i][j][100], w / 4);
});
