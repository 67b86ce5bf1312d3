import { test, before } from 'node:test';
import assert from 'node:assert/strict';
// tfjs-core's Node bundle registers no gradients; the union package registers them (globally) for tf.grads.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backend.js';
import { ConfigError, SimError, simulate, type RankContext } from '../../src/core/index.js';
import { crossEntropy, reshape } from '../../src/core/ops/index.js';
import { Params, WeightStore } from '../../src/models/weights.js';
import { assignPaths } from '../../src/models/nn/module.js';
import { GPT2, TiedLMHead, gpt2, gpt2FromHF, hfTensorLayout } from '../../src/models/gpt2.js';
import { models } from '../../src/models/index.js';
import type { ModelSpec } from '../../src/models/model.js';

before(async () => {
  await useBackend();
});

const TINY = { nLayer: 2, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 } as const;
const SHAPE = { batch: 2, seq: 8 };

/** HF's openai-community/gpt2 config.json (the fields that matter). */
const GPT2_SMALL_HF = {
  model_type: 'gpt2', activation_function: 'gelu_new', n_ctx: 1024, n_embd: 768, n_head: 12, n_inner: null,
  n_layer: 12, n_positions: 1024, layer_norm_epsilon: 1e-5, vocab_size: 50257, scale_attn_weights: true,
};

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same number of values');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

interface Run {
  logits: Float32Array;
  logitsShape: number[];
  loss: number;
  ids: Int32Array;
  targets: Int32Array;
  grads: Record<string, Float32Array>;
  names: string[];
}

/** Our model on one rank: forward, cross-entropy over [B·S, V], backward. */
async function runOurs(spec: ModelSpec, store: WeightStore, seed = 7): Promise<Run> {
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx: RankContext): Promise<Run> => {
    const model = spec.build(new Params(ctx, store));
    assignPaths(model);
    const { input, target } = spec.batch(ctx, SHAPE, seed);
    const logits = await model.call(input); // [B, S, V]
    const [b, s, v] = logits.shape;
    const loss = crossEntropy(reshape(logits, [b * s, v]), reshape(target, [b * s]));
    await ctx.backward(loss);
    const grads: Record<string, Float32Array> = {};
    for (const [n, p] of model.namedParameters()) grads[n] = Float32Array.from(p.grad!.valuesSync());
    return {
      logits: Float32Array.from(await logits.values()),
      logitsShape: [...logits.shape],
      loss: (await loss.values())[0],
      ids: Int32Array.from(await input.values()),
      targets: Int32Array.from(await target.values()),
      grads,
      names: model.namedParameters().map(([n]) => n),
    };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return res.returns[0] as Run;
}

// ---------------------------------------------------------------- plain TensorFlow.js GPT-2

type Weights = Record<string, tf.Tensor>;

function refLayerNorm(x: tf.Tensor, w: Weights, p: string): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), w[`${p}.weight`]), w[`${p}.bias`]);
}

function refLinear(x: tf.Tensor, w: Weights, p: string): tf.Tensor {
  const [b, s, i] = x.shape;
  const W = w[`${p}.weight`];
  return tf.add(tf.reshape(tf.matMul(tf.reshape(x, [b * s, i]), W), [b, s, -1]), w[`${p}.bias`]);
}

function refGelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** Embedding rows as onehot(ids)·E (differentiable on WASM, which lacks gather's gradient kernel). */
function lookup(table: tf.Tensor, ids: tf.Tensor2D): tf.Tensor {
  const [B, S] = ids.shape;
  const [V, H] = table.shape;
  return tf.reshape(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, V), table), [B, S, H]);
}

/** HF GPT2LMHeadModel forward, written directly: ids [B, S] → logits [B, S, V]. */
function refGpt2(w: Weights, ids: tf.Tensor2D, c: { nLayer: number; nEmbd: number; nHead: number }): tf.Tensor {
  const [B, S] = ids.shape;
  const H = c.nEmbd;
  const nh = c.nHead;
  const hd = H / nh;
  let x = tf.add(lookup(w['wte.weight'], ids), tf.slice(w['wpe.weight'], [0, 0], [S, H]));
  const allowed = tf.broadcastTo(tf.cast(tf.linalg.bandPart(tf.ones([S, S]), -1, 0), 'bool'), [B, nh, S, S]);
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, S, nh, hd]), [0, 2, 1, 3]);
  for (let l = 0; l < c.nLayer; l++) {
    const p = `h.${l}`;
    const qkv = refLinear(refLayerNorm(x, w, `${p}.ln_1`), w, `${p}.attn.c_attn`);
    const [q, k, v] = tf.split(qkv, 3, 2);
    const att = tf.div(tf.matMul(heads(q), heads(k), false, true), Math.sqrt(hd));
    const masked = tf.where(allowed, att, tf.fill(att.shape, -Infinity));
    const y = tf.reshape(tf.transpose(tf.matMul(tf.softmax(masked), heads(v)), [0, 2, 1, 3]), [B, S, H]);
    x = tf.add(x, refLinear(y, w, `${p}.attn.c_proj`));
    const m = refGelu(refLinear(refLayerNorm(x, w, `${p}.ln_2`), w, `${p}.mlp.c_fc`));
    x = tf.add(x, refLinear(m, w, `${p}.mlp.c_proj`));
  }
  const f = refLayerNorm(x, w, 'ln_f');
  return tf.reshape(tf.matMul(tf.reshape(f, [B * S, H]), w['wte.weight'], false, true), [B, S, -1]);
}

function refLoss(logits: tf.Tensor, targets: tf.Tensor1D): tf.Scalar {
  const V = logits.shape[logits.rank - 1];
  const flat = tf.reshape(logits, [-1, V]);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(flat), tf.oneHot(targets, V)), -1))) as tf.Scalar;
}

function denseWeights(store: WeightStore): Weights {
  return Object.fromEntries(store.names().map((n) => [n, store.dense(n)]));
}

// ---------------------------------------------------------------- tests

test('parameter names and shapes follow HF GPT2LMHeadModel without "transformer."', async () => {
  const spec = gpt2(TINY);
  const store = new WeightStore({ mode: 'numeric', seed: 1 });
  const run = await runOurs(spec, store);
  const perBlock = ['ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias', 'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias'];
  const expected = ['wte.weight', 'wpe.weight', ...[0, 1].flatMap((i) => perBlock.map((n) => `h.${i}.${n}`)), 'ln_f.weight', 'ln_f.bias'];
  assert.deepEqual(run.names, expected, 'the tied head adds no parameter');
  assert.deepEqual(store.names().sort(), [...expected].sort());
  const H = TINY.nEmbd;
  const shapes: Record<string, number[]> = {
    'wte.weight': [64, H], 'wpe.weight': [16, H], 'h.0.attn.c_attn.weight': [H, 3 * H], 'h.0.attn.c_attn.bias': [3 * H],
    'h.0.attn.c_proj.weight': [H, H], 'h.1.mlp.c_fc.weight': [H, 4 * H], 'h.1.mlp.c_proj.weight': [4 * H, H], 'ln_f.bias': [H],
  };
  for (const [n, s] of Object.entries(shapes)) assert.deepEqual([...store.decl(n).shape], s, n);
  const total = store.names().reduce((p, n) => p + store.decl(n).shape.reduce((a, d) => a * d, 1), 0);
  assert.equal(spec.paramCount(), total);
  assert.deepEqual(spec.layerPaths(), ['h.0', 'h.1']);
  assert.equal(spec.loss, 'cross_entropy');
  assert.deepEqual(run.logitsShape, [SHAPE.batch, SHAPE.seq, TINY.vocab]);
  for (const n of store.names()) assert.equal(hfTensorLayout(n), 'as-is', `${n}: Conv1D weights are already [in, out]`);
});

test('GPT-2 small from its HF config.json: 124,439,808 parameters (wpe 1024×768 included, head tied)', () => {
  const spec = gpt2FromHF(GPT2_SMALL_HF);
  assert.equal(spec.paramCount(), 124_439_808);
  assert.deepEqual(spec.config, { nLayer: 12, nEmbd: 768, nHead: 12, vocab: 50257, nPositions: 1024, nInner: 3072, layerNormEps: 1e-5, attention: 'flash', dropout: 0 });
  assert.equal(spec.layerPaths().length, 12);
  assert.equal(models.fromHF(GPT2_SMALL_HF).paramCount(), 124_439_808, 'models.fromHF dispatches on model_type');
  assert.equal(models.gpt2({ nLayer: 24, nEmbd: 1024, nHead: 16, vocab: 50257 }).paramCount(), 354_823_168, 'GPT-2 medium');
});

test('logits and loss equal a plain TensorFlow.js GPT-2 with the same weights', async () => {
  const spec = gpt2(TINY);
  const store = new WeightStore({ mode: 'numeric', seed: 2 });
  const run = await runOurs(spec, store);
  const w = denseWeights(store);
  const ids = tf.tensor2d(run.ids, [SHAPE.batch, SHAPE.seq], 'int32');
  const logits = refGpt2(w, ids, TINY);
  const ref = logits.dataSync();
  assert.ok(maxAbs(ref) > 0.1, 'logits are not trivially small');
  assert.ok(maxDiff(run.logits, ref) < 1e-4, `max |Δ logits| ${maxDiff(run.logits, ref)}`);
  const loss = refLoss(logits, tf.tensor1d(run.targets, 'int32')).dataSync()[0];
  assert.ok(Math.abs(run.loss - loss) < 1e-5, `loss ${run.loss} vs ${loss}`);
  tf.dispose([ids, logits]);
  store.dispose();
});

for (const attention of ['flash', 'unfused'] as const) test(`gradients equal tf.grads of the plain GPT-2 (tied wte gets both the embedding and the head term), ${attention} attention`, async () => {
  const spec = gpt2({ ...TINY, attention });
  const store = new WeightStore({ mode: 'numeric', seed: 3 });
  const run = await runOurs(spec, store);
  const w = denseWeights(store);
  const names = ['wte.weight', 'wpe.weight', 'h.0.ln_1.weight', 'h.0.attn.c_attn.weight', 'h.0.attn.c_attn.bias', 'h.1.attn.c_proj.weight', 'h.1.mlp.c_fc.bias', 'h.1.mlp.c_proj.weight', 'ln_f.weight', 'ln_f.bias'];
  const ids = tf.tensor2d(run.ids, [SHAPE.batch, SHAPE.seq], 'int32');
  const targets = tf.tensor1d(run.targets, 'int32');
  const g = tf.grads((...xs: tf.Tensor[]) => refLoss(refGpt2({ ...w, ...Object.fromEntries(names.map((n, i) => [n, xs[i]])) }, ids, TINY), targets));
  const refGrads = g(names.map((n) => w[n]));
  names.forEach((n, i) => {
    const ref = refGrads[i].dataSync();
    const d = maxDiff(run.grads[n], ref);
    assert.ok(maxAbs(ref) > 1e-4, `${n}: the reference gradient is not zero`);
    assert.ok(d < 1e-5 + 1e-4 * maxAbs(ref), `${n}: max |Δ grad| ${d} (max |grad| ${maxAbs(ref)})`);
  });
  tf.dispose([ids, targets, ...refGrads]);
  store.dispose();
});

test('lm_head is a TiedLMHead reading wte\'s table, outside the module tree', async () => {
  const store = new WeightStore({ mode: 'numeric', seed: 4 });
  const res = await simulate({ mesh: { tp: 1 } }, (ctx) => {
    const m = gpt2(TINY).build(new Params(ctx, store)) as GPT2;
    assignPaths(m);
    const head = m.get('lm_head');
    assert.ok(head instanceof TiedLMHead);
    assert.equal(head.weight, m.wte.weight);
    assert.ok(!m.namedModules().some(([p]) => p.startsWith('lm_head.')), 'the embedding is not a child of the head');
    assert.deepEqual(head.ownParameters(), []);
    return m.namedModules().map(([p]) => p);
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  assert.ok((res.returns[0] as string[]).includes('h.1.mlp.c_proj'));
});

test('batch: ids in [0, V), deterministic from the seed, target = input shifted by one', async () => {
  const spec = gpt2(TINY);
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx) => {
    const a = spec.batch(ctx, { batch: 3, seq: 5 }, 11);
    const b = spec.batch(ctx, { batch: 3, seq: 5 }, 11);
    const c = spec.batch(ctx, { batch: 3, seq: 5 }, 12);
    const stream = ctx.randint([3, 6], TINY.vocab, { seed: 11, key: 'tokens' });
    const vals = async (t: { values(): Promise<ArrayLike<number>> }) => Array.from(await t.values());
    return { a: [await vals(a.input), await vals(a.target)], b: [await vals(b.input), await vals(b.target)], c: await vals(c.input), stream: await vals(stream), dtype: a.input.dtype, shape: [...a.target.shape] };
  });
  assert.equal(res.ok, true);
  const r = res.returns[0] as { a: number[][]; b: number[][]; c: number[]; stream: number[]; dtype: string; shape: number[] };
  assert.deepEqual(r.a, r.b);
  assert.notDeepEqual(r.a[0], r.c);
  assert.equal(r.dtype, 'int32');
  assert.deepEqual(r.shape, [3, 5]);
  const [input, target] = r.a;
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(input.slice(i * 5, i * 5 + 5), r.stream.slice(i * 6, i * 6 + 5), 'input = ids[:, :S]');
    assert.deepEqual(target.slice(i * 5, i * 5 + 5), r.stream.slice(i * 6 + 1, i * 6 + 6), 'target = ids[:, 1:]');
  }
  assert.ok(input.every((t) => Number.isInteger(t) && t >= 0 && t < TINY.vocab));
});

test('meta mode: GPT-2 small runs shapes only (no values), logits [1, 16, 50257]', async () => {
  const spec = gpt2FromHF(GPT2_SMALL_HF);
  const store = new WeightStore({ mode: 'meta' });
  const res = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, async (ctx) => {
    const m = spec.build(new Params(ctx, store));
    const { input } = spec.batch(ctx, { batch: 1, seq: 16 }, 0);
    const y = await m.call(input);
    return { shape: [...y.shape], meta: y.isMeta };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  assert.deepEqual(res.returns[0], { shape: [1, 16, 50257], meta: true });
  assert.ok(res.flops[0] > 2 * 85e6 * 16, 'the forward is costed');
});

test('bad configs fail with a ConfigError that says what to change', async () => {
  const throwsConfig = (fn: () => unknown, msg: RegExp, fix: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof ConfigError && msg.test(e.message) && !!e.fix && fix.test(e.fix));
  throwsConfig(() => gpt2({ ...TINY, nHead: 5 }), /nEmbd 32 is not divisible by nHead 5/, /choose nHead dividing 32 \(e\.g\. 4\)/);
  throwsConfig(() => gpt2({ ...TINY, nLayer: 0 }), /nLayer must be a positive integer/, /nLayer/);
  throwsConfig(() => gpt2FromHF({ ...GPT2_SMALL_HF, n_head: undefined }), /no numeric "n_head"/, /add "n_head"/);
  throwsConfig(() => gpt2FromHF({ ...GPT2_SMALL_HF, activation_function: 'relu' }), /activation_function "relu"/, /gelu_new/);
  throwsConfig(() => models.fromHF({ model_type: 'bert' }), /model_type "bert" is not supported/, /gpt2, llama, mistral, qwen2/);
  // A sequence longer than the position table.
  const store = new WeightStore({ mode: 'numeric' });
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx) => {
    const spec = gpt2(TINY);
    const m = spec.build(new Params(ctx, store));
    await m.call(spec.batch(ctx, { batch: 1, seq: 17 }, 0).input);
  });
  assert.equal(res.ok, false);
  const e = res.errors[0];
  assert.ok(e instanceof SimError && e.kind === 'shape');
  assert.match(e.message, /sequence length 17 exceeds GPT-2's 16 positions/);
  assert.match(e.fix ?? '', /seq ≤ 16/);
});
