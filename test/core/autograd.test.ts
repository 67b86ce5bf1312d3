import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backend.js';
import { simulate, ops, type RankContext, type Tensor } from '../../src/core/index.js';

/**
 * Every op's hand-written gradient against TensorFlow.js autodiff (tf.grads) of an equivalent tf
 * expression, on one rank. The reference expressions are written out from the math (softmax as
 * exp/sum, layer norm from means, embedding as a one-hot matmul ...), not by calling the op under
 * test. The loss is Σ y ⊙ W with a random W, so every element of dL/dy differs.
 */

before(async () => {
  await useBackend();
});

// ------------------------------------------------------------------ data

/** mulberry32: a small deterministic generator for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

interface Input {
  readonly shape: number[];
  /** normal-ish (default), bounded away from 0, positive, or int32 ids in [0, ints). */
  readonly kind?: 'normal' | 'nonzero' | 'positive';
  readonly ints?: number;
}

interface Data {
  readonly shape: number[];
  readonly values: number[];
  readonly int: boolean;
}

function makeData(inputs: readonly Input[], seed: number): Data[] {
  const r = prng(seed);
  return inputs.map((inp) => {
    const n = prod(inp.shape);
    const values = Array.from({ length: n }, () => {
      if (inp.ints) return Math.floor(r() * inp.ints);
      const u = 2 * r() - 1; // (-1, 1)
      if (inp.kind === 'nonzero') return Math.sign(u || 1) * (0.5 + Math.abs(u));
      if (inp.kind === 'positive') return 0.2 + Math.abs(u);
      return 1.5 * u;
    });
    return { shape: inp.shape, values, int: inp.ints !== undefined };
  });
}

function assertClose(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1, ...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-4 * Math.abs(expected[i]) + 1e-5 * scale;
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: expected ${expected[i]}, got ${actual[i]} (tol ${tol})`);
  }
}

// ------------------------------------------------------------------ the harness

type Many<T> = T | T[];
const many = <T>(x: Many<T>): T[] => (Array.isArray(x) ? x : [x]);

interface Case {
  readonly name: string;
  readonly inputs: readonly Input[];
  readonly sim: (xs: Tensor[], rank: RankContext) => Many<Tensor>;
  readonly ref: (xs: tf.Tensor[]) => Many<tf.Tensor>;
}

interface Result {
  ys: number[][];
  shapes: number[][];
  grads: (number[] | null)[];
  gradShapes: (number[] | null)[];
}

async function check(c: Case, seed: number): Promise<void> {
  const data = makeData(c.inputs, seed);
  const wr = prng(seed + 1000);
  const ws: number[][] = [];

  // --- AutoDist, one rank
  const res = await simulate({ mesh: { tp: 1 } }, async (rank): Promise<Result> => {
    const xs = data.map((d, i) => (d.int ? rank.tensor(d.values, d.shape, 'int32') : rank.param(rank.tensor(d.values, d.shape), `x${i}`)));
    const ys = many(c.sim(xs, rank));
    let loss: Tensor | null = null;
    for (const y of ys) {
      const w = Array.from({ length: y.size }, () => 2 * wr() - 1);
      ws.push(w);
      const term = ops.sum(ops.mul(y, rank.tensor(w, y.shape)));
      loss = loss ? ops.add(loss, term) : term;
    }
    await rank.backward(loss!);
    return {
      ys: await Promise.all(ys.map(async (y) => Array.from(await y.values()))),
      shapes: ys.map((y) => [...y.shape]),
      grads: await Promise.all(xs.map(async (x) => (x.grad ? Array.from(await x.grad.values()) : null))),
      gradShapes: xs.map((x) => (x.grad ? [...x.grad.shape] : null)),
    };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  const got = res.returns[0] as Result;

  // --- TensorFlow.js autodiff of the reference expression
  const diff = data.map((d, i) => i).filter((i) => !data[i].int);
  const want: Result = { ys: [], shapes: [], grads: [], gradShapes: [] };
  tf.tidy(() => {
    const consts = data.map((d) => tf.tensor(d.values, d.shape, d.int ? 'int32' : 'float32'));
    const withDiff = (xs: tf.Tensor[]) => consts.map((t, i) => (diff.includes(i) ? xs[diff.indexOf(i)] : t));
    const loss = (...xs: tf.Tensor[]) =>
      many(c.ref(withDiff(xs))).reduce<tf.Tensor>((acc, y, k) => tf.add(acc, tf.sum(tf.mul(y, tf.tensor(ws[k], y.shape)))), tf.scalar(0)) as tf.Scalar;
    const gs = tf.grads(loss)(diff.map((i) => consts[i]));
    const ys = many(c.ref(consts));
    want.ys = ys.map((y) => Array.from(y.dataSync()));
    want.shapes = ys.map((y) => y.shape);
    want.grads = data.map((_, i) => (diff.includes(i) ? Array.from(gs[diff.indexOf(i)].dataSync()) : null));
    want.gradShapes = data.map((d, i) => (diff.includes(i) ? d.shape : null));
  });

  assert.deepEqual(got.shapes, want.shapes, 'output shapes');
  got.ys.forEach((y, k) => assertClose(y, want.ys[k], `output ${k}`));
  assert.deepEqual(got.gradShapes, want.gradShapes, 'gradient shapes (one per float input, like the input)');
  got.grads.forEach((g, i) => {
    if (g === null) return;
    assert.ok(g.some((v) => v !== 0), `gradient of input ${i} is not all zero`);
    assertClose(g, want.grads[i]!, `d input ${i}`);
  });
}

// ------------------------------------------------------------------ reference expressions

const GELU_C = Math.sqrt(2 / Math.PI);
const refSoftmax = (x: tf.Tensor): tf.Tensor => {
  const e = tf.exp(tf.sub(x, tf.max(x, -1, true)));
  return tf.div(e, tf.sum(e, -1, true));
};
const refMean = (x: tf.Tensor, axis: number): tf.Tensor => tf.div(tf.sum(x, axis, true), x.shape[axis < 0 ? x.rank + axis : axis]);
const refLayerNorm = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor | null, eps = 1e-5): tf.Tensor => {
  const c = tf.sub(x, refMean(x, -1));
  const y = tf.mul(tf.div(c, tf.sqrt(tf.add(refMean(tf.mul(c, c), -1), eps))), g);
  return b ? tf.add(y, b) : y;
};
/** a [..., m, k] · b [..., k, n] as a broadcast product summed over k (no matMul kernel). */
const bmm = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.expandDims(a, -1), tf.expandDims(b, -3)), -2);
const lowerTriangle = (s: number): tf.Tensor =>
  tf.tensor(Array.from({ length: s * s }, (_, k) => (k % s <= Math.floor(k / s) ? 1 : 0)), [s, s]);

const CASES: Case[] = [
  // elementwise with broadcasting
  { name: 'add [2,3,4] + [3,1]', inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], sim: ([a, b]) => ops.add(a, b), ref: ([a, b]) => tf.add(a, b) },
  { name: 'sub [2,3,4] − [4]', inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], sim: ([a, b]) => ops.sub(a, b), ref: ([a, b]) => tf.sub(a, b) },
  { name: 'mul [3,1] ⊙ [2,3,4]', inputs: [{ shape: [3, 1] }, { shape: [2, 3, 4] }], sim: ([a, b]) => ops.mul(a, b), ref: ([a, b]) => tf.mul(a, b) },
  { name: 'div [2,3,4] / [1,4]', inputs: [{ shape: [2, 3, 4] }, { shape: [1, 4], kind: 'nonzero' }], sim: ([a, b]) => ops.div(a, b), ref: ([a, b]) => tf.div(a, b) },
  { name: 'div [4] / [2,1,4] (both broadcast)', inputs: [{ shape: [4] }, { shape: [2, 1, 4], kind: 'nonzero' }], sim: ([a, b]) => ops.div(a, b), ref: ([a, b]) => tf.div(a, b) },
  { name: 'x ⊙ x (a tensor used twice accumulates)', inputs: [{ shape: [3, 4] }], sim: ([a]) => ops.mul(a, a), ref: ([a]) => tf.mul(a, a) },
  // matmul
  {
    name: 'matmul [2,3,4] · weight [4,5]',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }],
    sim: ([a, w]) => ops.matmul(a, w),
    ref: ([a, w]) => bmm(a, w),
  },
  {
    name: 'batched matmul [2,3,4] · [2,4,5]',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5] }],
    sim: ([a, b]) => ops.matmul(a, b),
    ref: ([a, b]) => bmm(a, b),
  },
  {
    name: 'batched matmul with a broadcast batch [2,2,3,4] · [2,4,5]',
    inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 4, 5] }],
    sim: ([a, b]) => ops.matmul(a, b),
    ref: ([a, b]) => bmm(a, b),
  },
  // activations
  {
    name: 'gelu (tanh approximation)',
    inputs: [{ shape: [3, 7] }],
    sim: ([x]) => ops.gelu(x),
    // 0.5·(1 + tanh z) = sigmoid(2z)
    ref: ([x]) => tf.mul(x, tf.sigmoid(tf.mul(2 * GELU_C, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x))))))),
  },
  { name: 'silu', inputs: [{ shape: [3, 7] }], sim: ([x]) => ops.silu(x), ref: ([x]) => tf.div(x, tf.add(1, tf.exp(tf.neg(x)))) },
  { name: 'swiglu (fused silu(gate) ⊙ up)', inputs: [{ shape: [3, 7] }, { shape: [3, 7] }], sim: ([g, u]) => ops.swiglu(g, u), ref: ([g, u]) => tf.mul(tf.div(g, tf.add(1, tf.exp(tf.neg(g)))), u) },
  {
    name: 'tanh',
    inputs: [{ shape: [3, 7] }],
    sim: ([x]) => ops.tanh(x),
    ref: ([x]) => {
      const e = tf.exp(tf.mul(2, x));
      return tf.div(tf.sub(e, 1), tf.add(e, 1));
    },
  },
  { name: 'sigmoid', inputs: [{ shape: [9] }], sim: ([x]) => ops.sigmoid(x), ref: ([x]) => tf.div(1, tf.add(1, tf.exp(tf.neg(x)))) },
  { name: 'relu', inputs: [{ shape: [9] }], sim: ([x]) => ops.relu(x), ref: ([x]) => tf.maximum(x, 0) },
  { name: 'exp, log, sqrt, rsqrt, square, neg, scale, addScalar', inputs: [{ shape: [2, 5], kind: 'positive' }],
    sim: ([x]) => [ops.exp(x), ops.log(x), ops.sqrt(x), ops.rsqrt(x), ops.square(x), ops.neg(x), ops.scale(x, -2.5), ops.addScalar(x, 3)],
    ref: ([x]) => [tf.exp(x), tf.log(x), tf.pow(x, 0.5), tf.pow(x, -0.5), tf.mul(x, x), tf.mul(x, -1), tf.mul(x, -2.5), tf.add(x, 3)] },
  // normalisation and attention pieces
  { name: 'softmax over the last dim', inputs: [{ shape: [2, 3, 5] }], sim: ([x]) => ops.softmax(x), ref: ([x]) => refSoftmax(x) },
  {
    name: 'layerNorm with weight and bias',
    inputs: [{ shape: [2, 3, 6] }, { shape: [6] }, { shape: [6] }],
    sim: ([x, g, b]) => ops.layerNorm(x, g, b),
    ref: ([x, g, b]) => refLayerNorm(x, g, b),
  },
  { name: 'layerNorm without bias', inputs: [{ shape: [4, 6] }, { shape: [6] }], sim: ([x, g]) => ops.layerNorm(x, g, null), ref: ([x, g]) => refLayerNorm(x, g, null) },
  {
    name: 'rmsNorm',
    inputs: [{ shape: [2, 3, 6] }, { shape: [6] }],
    sim: ([x, g]) => ops.rmsNorm(x, g),
    ref: ([x, g]) => tf.mul(tf.div(x, tf.sqrt(tf.add(refMean(tf.mul(x, x), -1), 1e-6))), g),
  },
  {
    name: 'embedding (repeated ids add up)',
    inputs: [{ shape: [6, 4] }, { shape: [3, 5], ints: 6 }],
    sim: ([table, ids]) => ops.embedding(table, ids),
    // a one-hot matmul picks the rows: [B·S, V] · [V, H]
    ref: ([table, ids]) => tf.reshape(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, 6), table), [3, 5, 4]),
  },
  {
    name: 'crossEntropy',
    inputs: [{ shape: [5, 7] }, { shape: [5], ints: 7 }],
    sim: ([logits, targets]) => ops.crossEntropy(logits, targets),
    // mean over rows of logsumexp(logits) − logits[target]
    ref: ([l, t]) => {
      const m = tf.max(l, -1, true);
      const lse = tf.add(tf.reshape(m, [-1]), tf.log(tf.sum(tf.exp(tf.sub(l, m)), -1)));
      const picked = tf.sum(tf.mul(l, tf.oneHot(t as tf.Tensor1D, 7)), -1);
      return tf.div(tf.sum(tf.sub(lse, picked)), 5);
    },
  },
  {
    name: 'causalMask',
    inputs: [{ shape: [2, 4, 4] }],
    sim: ([s]) => ops.causalMask(s),
    ref: ([s]) => tf.where(tf.cast(tf.broadcastTo(lowerTriangle(4), [2, 4, 4]), 'bool'), s, tf.fill([2, 4, 4], -1e9)),
  },
  {
    name: 'softmax(causalMask(q·kᵀ))·v (attention)',
    inputs: [{ shape: [2, 4, 3] }, { shape: [2, 4, 3] }, { shape: [2, 4, 3] }],
    sim: ([q, k, v]) => ops.matmul(ops.softmax(ops.causalMask(ops.matmul(q, ops.transpose(k, [0, 2, 1])))), v),
    ref: ([q, k, v]) => {
      const s = bmm(q, tf.transpose(k, [0, 2, 1]));
      const masked = tf.add(tf.mul(s, lowerTriangle(4)), tf.mul(tf.sub(1, lowerTriangle(4)), -1e9));
      return bmm(refSoftmax(masked), v);
    },
  },
  // shape ops
  { name: 'narrow dim 1 [2, 5)', inputs: [{ shape: [3, 6] }], sim: ([x]) => ops.narrow(x, 1, 2, 3), ref: ([x]) => tf.slice(x, [0, 2], [3, 3]) },
  { name: 'narrow dim −1 of a 3-D tensor', inputs: [{ shape: [2, 3, 4] }], sim: ([x]) => ops.narrow(x, -1, 1, 2), ref: ([x]) => tf.slice(x, [0, 0, 1], [2, 3, 2]) },
  { name: 'concat dim 1', inputs: [{ shape: [2, 3] }, { shape: [2, 2] }], sim: ([a, b]) => ops.concat([a, b], 1), ref: ([a, b]) => tf.concat([a, b], 1) },
  { name: 'concat dim 0 of three', inputs: [{ shape: [1, 3] }, { shape: [2, 3] }, { shape: [1, 3] }], sim: (xs) => ops.concat(xs, 0), ref: (xs) => tf.concat(xs, 0) },
  { name: 'split into sizes [2, 4]', inputs: [{ shape: [2, 6] }], sim: ([x]) => ops.split(x, 1, [2, 4]), ref: ([x]) => [tf.slice(x, [0, 0], [2, 2]), tf.slice(x, [0, 2], [2, 4])] },
  { name: 'split into 3 equal parts (one unused)', inputs: [{ shape: [6, 2] }], sim: ([x]) => ops.split(x, 0, 3).slice(1), ref: ([x]) => [tf.slice(x, [2, 0], [2, 2]), tf.slice(x, [4, 0], [2, 2])] },
  { name: 'transpose [2,0,1]', inputs: [{ shape: [2, 3, 4] }], sim: ([x]) => ops.transpose(x, [2, 0, 1]), ref: ([x]) => tf.transpose(x, [2, 0, 1]) },
  { name: 'transpose (reversed)', inputs: [{ shape: [2, 3] }], sim: ([x]) => ops.mul(ops.transpose(x), ops.transpose(x)), ref: ([x]) => tf.mul(tf.transpose(x), tf.transpose(x)) },
  { name: 'reshape [2,3,4] → [4,−1]', inputs: [{ shape: [2, 3, 4] }], sim: ([x]) => ops.square(ops.reshape(x, [4, -1])), ref: ([x]) => tf.square(tf.reshape(x, [4, 6])) },
  { name: 'broadcastTo [3,1] → [2,3,4]', inputs: [{ shape: [3, 1] }], sim: ([x]) => ops.broadcastTo(x, [2, 3, 4]), ref: ([x]) => tf.tile(tf.reshape(x, [1, 3, 1]), [2, 1, 4]) },
  // reductions
  { name: 'sum over all dims', inputs: [{ shape: [2, 3, 4] }], sim: ([x]) => ops.sum(ops.square(x)), ref: ([x]) => tf.sum(tf.mul(x, x)) },
  { name: 'sum over dims [0, 2]', inputs: [{ shape: [2, 3, 4] }], sim: ([x]) => ops.sum(x, [0, 2]), ref: ([x]) => tf.sum(tf.sum(x, 2), 0) },
  { name: 'sum over dim −1, keepDims', inputs: [{ shape: [2, 3, 4] }], sim: ([x]) => ops.sum(x, -1, true), ref: ([x]) => tf.sum(x, 2, true) },
  { name: 'mean over all dims', inputs: [{ shape: [3, 4] }], sim: ([x]) => ops.mean(ops.square(x)), ref: ([x]) => tf.div(tf.sum(tf.mul(x, x)), 12) },
  { name: 'mean over dim 1, keepDims', inputs: [{ shape: [2, 3, 4] }], sim: ([x]) => ops.mean(x, 1, true), ref: ([x]) => tf.div(tf.sum(x, 1, true), 3) },
  { name: 'mean over dims [0, 1]', inputs: [{ shape: [2, 3, 4] }], sim: ([x]) => ops.mean(x, [0, 1]), ref: ([x]) => tf.div(tf.sum(tf.reshape(x, [6, 4]), 0), 6) },
  // where
  {
    name: 'where(cond, a, b) with a broadcast b',
    inputs: [{ shape: [2, 3] }, { shape: [3] }],
    sim: ([a, b], rank) => ops.where(rank.tensor([1, 0, 1, 0, 0, 1], [2, 3]), a, b),
    ref: ([a, b]) => tf.add(tf.mul(a, tf.tensor([1, 0, 1, 0, 0, 1], [2, 3])), tf.mul(b, tf.tensor([0, 1, 0, 1, 1, 0], [2, 3]))),
  },
];

describe('gradients against TensorFlow.js autodiff', () => {
  CASES.forEach((c, i) => {
    test(c.name, async () => {
      await check(c, 17 + 31 * i);
    });
  });

  test('the harness catches a wrong gradient', async () => {
    // a "gelu" whose reference is silu must fail the check
    await assert.rejects(check({ name: 'wrong', inputs: [{ shape: [5] }], sim: ([x]) => ops.gelu(x), ref: ([x]) => tf.mul(x, tf.sigmoid(x)) }, 1), assert.AssertionError);
    // same forward (x²), half the gradient: one factor is detached with noGrad
    await assert.rejects(
      check({ name: 'detached', inputs: [{ shape: [5] }], sim: ([x], rank) => ops.mul(x, rank.noGrad(() => ops.scale(x, 1))), ref: ([x]) => tf.mul(x, x) }, 2),
      (e: unknown) => e instanceof assert.AssertionError && /d input 0/.test(e.message),
    );
  });
});

describe('autograd mechanics', () => {
  test('two backward passes accumulate into .grad; noGrad records nothing', async () => {
    const res = await simulate({ mesh: { tp: 1 } }, async (rank) => {
      const w = rank.param(rank.tensor([1, 2, 3], [3]), 'w');
      await rank.backward(ops.sum(ops.scale(w, 2))); // dw = 2
      await rank.backward(ops.sum(ops.square(w))); // dw = 2w
      const frozen = rank.noGrad(() => ops.mul(w, w));
      return { g: Array.from(await w.grad!.values()), frozen: frozen.requiresGrad };
    });
    assert.deepEqual(res.returns[0], { g: [4, 6, 8], frozen: false });
  });

  test('untimed ops compute their values but take no time, no FLOPs and no trace event (a look at the program, not a step of it)', async () => {
    const res = await simulate({ mesh: { tp: 1 } }, async (rank) => {
      const x = rank.tensor([1, 2, 3, 4], [2, 2]);
      const t0 = rank.clock;
      rank.untimed = true;
      const hidden = ops.matmul(x, x); // [2, 2]
      rank.untimed = false;
      const t1 = rank.clock;
      const seen = ops.matmul(x, x);
      return { hidden: Array.from(await hidden.values()), untimedUs: t1 - t0, timedUs: rank.clock - t1, seen: Array.from(await seen.values()) };
    });
    const r = res.returns[0] as { hidden: number[]; untimedUs: number; timedUs: number; seen: number[] };
    assert.deepEqual(r.hidden, [7, 10, 15, 22]);
    assert.deepEqual(r.seen, r.hidden);
    assert.equal(r.untimedUs, 0);
    assert.ok(r.timedUs > 0);
    assert.equal(res.trace.filter((t) => t.kind === 'compute' && t.name === 'matmul').length, 1);
    assert.equal(res.flops[0], 2 * 2 * 2 * 2); // the timed matmul's 2·m·n·k only
  });

  test('gradients of inputs that do not require them stay null; backward ops run in phase backward', async () => {
    const res = await simulate({ mesh: { tp: 1 } }, async (rank) => {
      const x = rank.tensor([1, 2], [2]);
      const w = rank.param(rank.tensor([3, 4], [2]));
      await rank.backward(ops.sum(ops.mul(x, w)));
      return { x: x.grad, w: Array.from(await w.grad!.values()) };
    });
    assert.deepEqual(res.returns[0], { x: null, w: [1, 2] });
    const phases = new Set(res.trace.map((t) => `${t.name}:${t.phase}`));
    assert.ok(phases.has('mul:forward'));
    assert.ok(phases.has('mul:backward'), [...phases].join(' '));
  });

  test('meta mode runs the same backward on shapes only', async () => {
    const res = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, async (rank) => {
      const x = rank.randn([4, 8]);
      const w = rank.param(rank.randn([8, 3]));
      const g = rank.param(rank.randn([3]));
      await rank.backward(ops.mean(ops.layerNorm(ops.gelu(ops.matmul(x, w)), g, null)));
      return [w.grad!.shape, g.grad!.shape, w.grad!.isMeta];
    });
    assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(res.returns[0], [[8, 3], [3], true]);
  });
});

describe('memory report', () => {
  test('a chain of two ops: peak = two live [8] fp32 tensors', async () => {
    const res = await simulate({ mesh: { tp: 1 } }, (rank) => {
      const x = rank.randn([8]); // 32 B, live until y is made
      const y = ops.scale(x, 2); // 32 B, live until z is made
      ops.scale(y, 2); // 32 B
    });
    assert.deepEqual(res.memory[0], { peakBytes: 64, persistentBytes: 0, peakTransientBytes: 64, tensors: 3 });
  });

  test('a parameter is pinned, and so is its gradient after backward', async () => {
    const res = await simulate({ mesh: { tp: 1 } }, async (rank) => {
      const w = rank.param(rank.randn([4, 4], { key: 'w' }), 'w'); // 64 B pinned
      const before = rank.memory.report();
      await rank.backward(ops.sum(ops.mul(w, w)));
      return before;
    });
    const before = res.returns[0] as { persistentBytes: number; peakBytes: number };
    assert.equal(before.persistentBytes, 64);
    const after = res.memory[0];
    assert.equal(after.persistentBytes, 128, 'w and w.grad');
    assert.ok(after.peakBytes >= after.persistentBytes);
    assert.equal(after.peakTransientBytes, after.peakBytes - after.persistentBytes);
    assert.ok(after.peakTransientBytes > 0);
  });

  test('bytes follow the declared dtype (bfloat16: 2 per element)', async () => {
    const res = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, (rank) => {
      rank.param(rank.randn([16, 16], { dtype: 'bfloat16' }));
    });
    assert.equal(res.memory[0].persistentBytes, 512);
    assert.ok(res.memory[0].peakBytes >= 512);
  });
});
