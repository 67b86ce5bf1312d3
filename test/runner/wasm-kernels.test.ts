import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backend.js';
import { transposeLastTwo } from '../../src/runner/wasm-transpose.js';
import { sliceInto } from '../../src/runner/wasm-slice.js';
import { broadcastData, sumData } from '../../src/core/ops/reduce.js';

/**
 * The kernels AutoDist puts in place of TensorFlow.js's slow WASM ones (backend.ts), and the op
 * helpers that avoid others, against values written out in plain JavaScript.
 */

before(async () => {
  await useBackend();
});

function values(shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

describe('kernels in place of slow TensorFlow.js WASM ones', () => {
  test('transpose of the last two dims, any sizes (tiles cut at the edges), batched', () => {
    for (const [b, r, c] of [[1, 1, 1], [1, 5, 3], [3, 37, 53], [2, 64, 33], [1, 100, 1]]) {
      const x = values([b, r, c], r * 7 + c);
      const out = new Float32Array(x.length);
      transposeLastTwo(x, out, b, r, c);
      for (let k = 0; k < b; k++) for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) assert.equal(out[k * r * c + j * r + i], x[k * r * c + i * c + j]);
      const t = tf.tensor(x, [b, r, c]);
      const y = tf.transpose(t, [0, 2, 1]);
      assert.deepEqual(y.shape, [b, c, r]);
      assert.deepEqual(y.dataSync(), out, `tf.transpose [${b}, ${r}, ${c}]`);
      tf.dispose([t, y]);
    }
  });

  test('the WASM backend runs them', () => {
    if (tf.getBackend() !== 'wasm') return;
    for (const k of [tf.Transpose, tf.Identity, tf.Slice, tf.Sin, tf.Cos]) assert.equal((tf.getKernel(k, 'wasm')?.kernelFunc as { autodist?: boolean }).autodist, true, `${k} is AutoDist's`);
  });

  test('sin and cos: each float32 the double-precision value rounded once, large arguments included (torch.sin(torch.arange(n) * k))', () => {
    const n = 4099;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.fround(i * 0.37) * (i % 2 ? -1 : 1);
    const t = tf.tensor(x, [n]);
    for (const [op, f] of [[tf.sin, Math.sin], [tf.cos, Math.cos]] as const) {
      const y = op(t);
      const got = y.dataSync();
      for (let i = 0; i < n; i++) assert.equal(got[i], Math.fround(f(x[i])), `${f.name}(${x[i]})`);
      y.dispose();
    }
    t.dispose();
  });

  test('other permutations and dtypes still transpose right', () => {
    const x = tf.tensor(values([2, 3, 4], 9), [2, 3, 4]);
    const y = tf.transpose(x, [1, 0, 2]);
    const xv = x.arraySync() as number[][][];
    const yv = y.arraySync() as number[][][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) assert.equal(yv[j][i][k], xv[i][j][k]);
    const ints = tf.tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
    assert.deepEqual(tf.transpose(ints).arraySync(), [[1, 4], [2, 5], [3, 6]]);
    tf.dispose([x, y, ints]);
  });

  test('slices of any rank, contiguous or not, empty, and of ints and bools', () => {
    const shape = [3, 4, 5, 6];
    const x = values(shape, 4);
    const at = (i: number, j: number, k: number, l: number) => x[((i * 4 + j) * 5 + k) * 6 + l];
    const t = tf.tensor(x, shape);
    for (const [begin, size] of [[[0, 0, 0, 0], [3, 4, 5, 6]], [[1, 0, 0, 0], [1, 4, 5, 6]], [[0, 1, 2, 3], [3, 2, 3, 2]], [[2, 3, 4, 5], [1, 1, 1, 1]], [[0, 0, 1, 0], [3, 4, 2, 6]]] as [number[], number[]][]) {
      const expected: number[] = [];
      for (let i = 0; i < size[0]; i++) for (let j = 0; j < size[1]; j++) for (let k = 0; k < size[2]; k++) for (let l = 0; l < size[3]; l++) expected.push(at(begin[0] + i, begin[1] + j, begin[2] + k, begin[3] + l));
      const direct = new Float32Array(expected.length);
      sliceInto(x, shape, begin, size, direct);
      assert.deepEqual(Array.from(direct), expected, `sliceInto ${begin} ${size}`);
      const y = tf.slice(t, begin, size);
      assert.deepEqual(Array.from(y.dataSync()), expected, `tf.slice ${begin} ${size}`);
      y.dispose();
    }
    assert.deepEqual(tf.slice(t, [0, 0, 0, 0], [0, 4, 5, 6]).shape, [0, 4, 5, 6]);
    assert.deepEqual(tf.slice(tf.tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32'), [0, 1], [2, 2]).arraySync(), [[2, 3], [5, 6]]);
    assert.deepEqual(tf.slice(tf.tensor([true, false, true, true], [4], 'bool'), [1], [2]).arraySync(), [0, 1]);
    t.dispose();
  });

  test('a clone shares the buffer and outlives its original', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor([1, 2, 3]);
    const c = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3]);
    c.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  test('broadcastData and sumData equal their definitions', () => {
    const x = tf.tensor(values([3, 1, 4], 5), [3, 1, 4]);
    const b = broadcastData(x, [2, 3, 5, 4]);
    const xv = x.arraySync() as number[][][];
    const bv = b.arraySync() as number[][][][];
    for (let a = 0; a < 2; a++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 4; k++) assert.equal(bv[a][i][j][k], xv[i][0][k]);
    const special = broadcastData(tf.tensor([-0, NaN, Infinity]), [2, 3]).arraySync() as number[][];
    assert.ok(Object.is(special[1][0], -0) && Number.isNaN(special[1][1]) && special[1][2] === Infinity, 'x·1 keeps −0, NaN, ∞');
    const y = tf.tensor(values([4, 6, 5], 3), [4, 6, 5]);
    const yv = y.arraySync() as number[][][];
    const s = sumData(y, [0, 1], false).dataSync();
    for (let k = 0; k < 5; k++) {
      let e = 0;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) e += yv[i][j][k];
      assert.ok(Math.abs(s[k] - e) < 1e-5, `column ${k}: ${s[k]} vs ${e}`);
    }
    assert.deepEqual(sumData(y, [0], true).shape, [1, 6, 5]);
    assert.deepEqual(sumData(y, [2], false).shape, [4, 6], 'not leading: tfjs sum');
    tf.dispose([x, b, y]);
  });
});
