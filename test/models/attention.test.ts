import { test, before } from 'node:test';
import assert from 'node:assert/strict';
// tfjs-core's Node bundle registers no gradients; the union package registers them (globally) for tf.grads.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backend.js';
import { ConfigError, ShapeError, simulate, type RankContext, type Tensor } from '../../src/core/index.js';
import { mul, narrow, sum } from '../../src/core/ops/index.js';
import { causalSelfAttention, flashSelfAttention } from '../../src/models/attention.js';

before(async () => {
  await useBackend();
});

const B = 2;
const S = 6;
const HD = 4;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same number of values');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** softmax(q·kᵀ/√hd + mask)·v per head, kv head ⌊h/(nh/nkv)⌋ copied to each of its query heads (HF repeat_kv). */
function refAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, nh: number, nkv: number): tf.Tensor {
  const heads = (t: tf.Tensor, n: number) => tf.transpose(tf.reshape(t, [B, S, n, HD]), [0, 2, 1, 3]);
  const repeat = (t: tf.Tensor) => tf.concat(Array.from({ length: nh }, (_, h) => tf.slice(t, [0, Math.floor(h / (nh / nkv)), 0, 0], [B, 1, S, HD])), 1);
  const att = tf.div(tf.matMul(heads(q, nh), repeat(heads(k, nkv)), false, true), Math.sqrt(HD));
  const allowed = tf.broadcastTo(tf.cast(tf.linalg.bandPart(tf.ones([S, S]), -1, 0), 'bool'), att.shape);
  const probs = tf.softmax(tf.where(allowed, att, tf.fill(att.shape, -Infinity)));
  return tf.reshape(tf.transpose(tf.matMul(probs, repeat(heads(v, nkv))), [0, 2, 1, 3]), [B, S, nh * HD]);
}

interface Out {
  q: number[];
  k: number[];
  v: number[];
  w: number[];
  y: number[];
  dq: number[];
  dk: number[];
  dv: number[];
}

/** Our attention on one rank, with the gradient of Σ w ⊙ y. */
async function ours(nh: number, nkv: number, kernel: 'flash' | 'unfused' = 'unfused'): Promise<Out> {
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx: RankContext): Promise<Out> => {
    const q = ctx.randn([B, S, nh * HD], { key: 'q', requiresGrad: true });
    const k = ctx.randn([B, S, nkv * HD], { key: 'k', requiresGrad: true });
    const v = ctx.randn([B, S, nkv * HD], { key: 'v', requiresGrad: true });
    const w = ctx.randn([B, S, nh * HD], { key: 'w' });
    const y = kernel === 'flash' ? flashSelfAttention(q, k, v, HD) : causalSelfAttention(q, k, v, HD); // [B, S, nh·hd]
    await ctx.backward(sum(mul(y, w)));
    const vals = async (t: Tensor) => Array.from(await t.values());
    return { q: await vals(q), k: await vals(k), v: await vals(v), w: await vals(w), y: await vals(y), dq: await vals(q.grad!), dk: await vals(k.grad!), dv: await vals(v.grad!) };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return res.returns[0] as Out;
}

for (const [nh, nkv, kernel] of [[4, 4, 'unfused'], [4, 2, 'unfused'], [4, 1, 'unfused'], [6, 3, 'unfused'], [4, 4, 'flash'], [4, 2, 'flash'], [6, 3, 'flash']] as const) {
  test(`${kernel} attention with ${nh} query heads and ${nkv} kv head${nkv > 1 ? 's' : ''} equals plain TensorFlow.js, values and gradients`, async () => {
    const o = await ours(nh, nkv, kernel);
    const q = tf.tensor3d(o.q, [B, S, nh * HD]);
    const k = tf.tensor3d(o.k, [B, S, nkv * HD]);
    const v = tf.tensor3d(o.v, [B, S, nkv * HD]);
    const w = tf.tensor3d(o.w, [B, S, nh * HD]);
    const y = refAttention(q, k, v, nh, nkv);
    assert.ok(maxDiff(o.y, y.dataSync()) < 1e-5, `max |Δ y| ${maxDiff(o.y, y.dataSync())}`);
    const [dq, dk, dv] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(refAttention(a, b, c, nh, nkv), w)))([q, k, v]);
    assert.ok(maxDiff(o.dq, dq.dataSync()) < 1e-5, 'dq');
    assert.ok(maxDiff(o.dk, dk.dataSync()) < 1e-5, 'dk');
    assert.ok(maxDiff(o.dv, dv.dataSync()) < 1e-5, 'dv');
    tf.dispose([q, k, v, w, y, dq, dk, dv]);
  });
}

test('local heads come from tensor widths: half of the q and kv heads give half of the output (a tensor-parallel rank)', async () => {
  const nh = 4;
  const nkv = 2;
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx) => {
    const q = ctx.randn([B, S, nh * HD], { key: 'q' });
    const k = ctx.randn([B, S, nkv * HD], { key: 'k' });
    const v = ctx.randn([B, S, nkv * HD], { key: 'v' });
    const full = causalSelfAttention(q, k, v, HD); // [B, S, nh·hd]
    const parts = [];
    for (let r = 0; r < 2; r++) {
      // Rank r holds query heads 2r, 2r+1 and kv head r (the one those query heads read).
      const y = causalSelfAttention(narrow(q, 2, r * 2 * HD, 2 * HD), narrow(k, 2, r * HD, HD), narrow(v, 2, r * HD, HD), HD); // [B, S, nh/tp·hd]
      parts.push({ y: Array.from(await y.values()), ref: Array.from(await narrow(full, 2, r * 2 * HD, 2 * HD).values()), shape: [...y.shape] });
    }
    return parts;
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  for (const p of res.returns[0] as { y: number[]; ref: number[]; shape: number[] }[]) {
    assert.deepEqual(p.shape, [B, S, 2 * HD]);
    assert.ok(maxDiff(p.y, p.ref) < 1e-6);
  }
});

test('causal: outputs at positions < t do not depend on keys and values at t', async () => {
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx) => {
    const q = ctx.randn([B, S, 2 * HD], { key: 'q' });
    const k = ctx.randn([B, S, 2 * HD], { key: 'k' });
    const v = ctx.randn([B, S, 2 * HD], { key: 'v' });
    const k2 = ctx.tensor(Float32Array.from(await k.values()).map((x, i) => (Math.floor(i / (2 * HD)) % S === S - 1 ? x + 5 : x)), k.shape);
    const v2 = ctx.tensor(Float32Array.from(await v.values()).map((x, i) => (Math.floor(i / (2 * HD)) % S === S - 1 ? x - 3 : x)), v.shape);
    const a = Array.from(await causalSelfAttention(q, k, v, HD).values());
    const b = Array.from(await causalSelfAttention(q, k2, v2, HD).values());
    return { a, b };
  });
  const { a, b } = res.returns[0] as { a: number[]; b: number[] };
  const row = 2 * HD;
  for (let i = 0; i < a.length; i++) {
    const pos = Math.floor(i / row) % S;
    if (pos < S - 1) assert.equal(a[i], b[i], `position ${pos} unchanged`);
  }
  assert.ok(maxDiff(a, b) > 0.01, 'the last position does see its own key and value');
});

test('bad head layouts fail with errors naming the widths and the fix', async () => {
  const cases: [string, (ctx: RankContext) => unknown, RegExp, RegExp][] = [
    ['q width not a multiple of hd', (ctx) => causalSelfAttention(ctx.zeros([B, S, 10]), ctx.zeros([B, S, 8]), ctx.zeros([B, S, 8]), HD), /attention q width 10 is not a multiple of the head dim 4/, /whole heads/],
    ['q heads not a multiple of kv heads', (ctx) => causalSelfAttention(ctx.zeros([B, S, 3 * HD]), ctx.zeros([B, S, 2 * HD]), ctx.zeros([B, S, 2 * HD]), HD), /3 query heads and 2 kv heads/, /multiple of nKvHead/],
    ['k and v differ', (ctx) => causalSelfAttention(ctx.zeros([B, S, 2 * HD]), ctx.zeros([B, S, 2 * HD]), ctx.zeros([B, S, HD]), HD), /must match k/, /.*/],
  ];
  for (const [label, fn, msg, fix] of cases) {
    const res = await simulate({ mesh: { tp: 1 } }, (ctx) => void fn(ctx));
    assert.equal(res.ok, false, label);
    const e = res.errors[0];
    assert.ok(e instanceof ShapeError, `${label}: ShapeError, got ${e?.name}`);
    assert.match(e.message, msg, label);
    assert.match(e.fix ?? '', fix, label);
  }
  const res = await simulate({ mesh: { tp: 1 } }, (ctx) => void causalSelfAttention(ctx.zeros([B, S, 8]), ctx.zeros([B, S, 8]), ctx.zeros([B, S, 8]), 0));
  assert.ok(res.errors[0] instanceof ConfigError);
  assert.match(res.errors[0].message, /head dim must be a positive integer, got 0/);
});
