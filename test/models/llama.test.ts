import { test, before } from 'node:test';
import assert from 'node:assert/strict';
// tfjs-core's Node bundle registers no gradients; the union package registers them (globally) for tf.grads.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backend.js';
import { ConfigError, SimError, simulate, type RankContext } from '../../src/core/index.js';
import { crossEntropy, mul, reshape, sum } from '../../src/core/ops/index.js';
import { Params, WeightStore } from '../../src/models/weights.js';
import { assignPaths } from '../../src/models/nn/module.js';
import { TiedLMHead } from '../../src/models/gpt2.js';
import { hfTensorLayout, llama, llamaFromHF, type LlamaConfig } from '../../src/models/llama.js';
import { applyRope, ropeInvFreq, ropeTables } from '../../src/models/rope.js';
import { models } from '../../src/models/index.js';
import type { ModelSpec } from '../../src/models/model.js';

before(async () => {
  await useBackend();
});

const GQA: LlamaConfig = { nLayer: 2, hidden: 32, nHead: 4, nKvHead: 2, ffnHidden: 48, vocab: 64, rmsNormEps: 1e-5 };
const SHAPE = { batch: 2, seq: 8 };

/** meta-llama/Llama-2-7b-hf config.json. */
const LLAMA2_7B = {
  model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_act: 'silu', hidden_size: 4096, intermediate_size: 11008,
  max_position_embeddings: 4096, num_attention_heads: 32, num_hidden_layers: 32, num_key_value_heads: 32, rms_norm_eps: 1e-5,
  tie_word_embeddings: false, vocab_size: 32000,
};
/** meta-llama/Meta-Llama-3-8B config.json. */
const LLAMA3_8B = { ...LLAMA2_7B, intermediate_size: 14336, max_position_embeddings: 8192, num_key_value_heads: 8, rope_theta: 500000, vocab_size: 128256 };
/** mistralai/Mistral-7B-v0.1 config.json. */
const MISTRAL_7B = { ...LLAMA2_7B, model_type: 'mistral', intermediate_size: 14336, max_position_embeddings: 32768, num_key_value_heads: 8, sliding_window: 4096, rope_theta: 10000 };
/** Qwen/Qwen2-0.5B config.json. */
const QWEN2_05B = {
  model_type: 'qwen2', hidden_act: 'silu', hidden_size: 896, intermediate_size: 4864, max_position_embeddings: 131072, num_attention_heads: 14,
  num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000, sliding_window: 131072, use_sliding_window: false,
  tie_word_embeddings: true, vocab_size: 151936,
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

async function runOurs(spec: ModelSpec, store: WeightStore, seed = 5): Promise<Run> {
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

// ---------------------------------------------------------------- plain TensorFlow.js Llama

type Weights = Record<string, tf.Tensor>;
interface RefCfg {
  nLayer: number;
  nHead: number;
  nKvHead: number;
  headDim: number;
  theta: number;
  eps: number;
  tie: boolean;
}

function refCfg(spec: ReturnType<typeof llama>): RefCfg {
  const c = spec.config;
  return { nLayer: c.nLayer, nHead: c.nHead, nKvHead: c.nKvHead, headDim: c.headDim, theta: c.ropeTheta, eps: c.rmsNormEps, tie: c.tieEmbeddings };
}

function lookup(table: tf.Tensor, ids: tf.Tensor2D): tf.Tensor {
  const [B, S] = ids.shape;
  return tf.reshape(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, table.shape[0]), table), [B, S, -1]);
}

function rms(x: tf.Tensor, g: tf.Tensor, eps: number): tf.Tensor {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g);
}

/** x·W (+ b) with W [in, out] from our store. */
function lin(x: tf.Tensor, w: Weights, p: string): tf.Tensor {
  const [B, S, I] = x.shape;
  const W = w[`${p}.weight`];
  const y = tf.reshape(tf.matMul(tf.reshape(x, [B * S, I]), W), [B, S, -1]);
  return w[`${p}.bias`] ? tf.add(y, w[`${p}.bias`]) : y;
}

/** Rotate each pair (x[i], x[i + hd/2]) of every head by the angle p·θ^(−2i/hd). */
function refRope(x: tf.Tensor, n: number, hd: number, theta: number): tf.Tensor {
  const [B, S] = x.shape;
  const half = hd / 2;
  const ang = new Float32Array(S * half).map((_, j) => Math.floor(j / half) * Math.pow(theta, (-2 * (j % half)) / hd));
  const cos = tf.tensor3d(ang.map(Math.cos), [S, 1, half]);
  const sin = tf.tensor3d(ang.map(Math.sin), [S, 1, half]);
  const x4 = tf.reshape(x, [B, S, n, hd]);
  const a = tf.slice(x4, [0, 0, 0, 0], [B, S, n, half]);
  const b = tf.slice(x4, [0, 0, 0, half], [B, S, n, half]);
  const out = tf.concat([tf.sub(tf.mul(a, cos), tf.mul(b, sin)), tf.add(tf.mul(b, cos), tf.mul(a, sin))], 3);
  return tf.reshape(out, [B, S, n * hd]);
}

/** HF LlamaForCausalLM forward, written directly (kv heads repeated as in HF repeat_kv). */
function refLlama(w: Weights, ids: tf.Tensor2D, c: RefCfg): tf.Tensor {
  const [B, S] = ids.shape;
  const { nHead: nh, nKvHead: nkv, headDim: hd } = c;
  let x = lookup(w['model.embed_tokens.weight'], ids);
  const allowed = tf.broadcastTo(tf.cast(tf.linalg.bandPart(tf.ones([S, S]), -1, 0), 'bool'), [B, nh, S, S]);
  const heads = (t: tf.Tensor, n: number) => tf.transpose(tf.reshape(t, [B, S, n, hd]), [0, 2, 1, 3]);
  const repeatKv = (t: tf.Tensor) => tf.concat(Array.from({ length: nh }, (_, h) => tf.slice(t, [0, Math.floor(h / (nh / nkv)), 0, 0], [B, 1, S, hd])), 1);
  for (let l = 0; l < c.nLayer; l++) {
    const p = `model.layers.${l}`;
    const a = rms(x, w[`${p}.input_layernorm.weight`], c.eps);
    const q = heads(refRope(lin(a, w, `${p}.self_attn.q_proj`), nh, hd, c.theta), nh);
    const k = repeatKv(heads(refRope(lin(a, w, `${p}.self_attn.k_proj`), nkv, hd, c.theta), nkv));
    const v = repeatKv(heads(lin(a, w, `${p}.self_attn.v_proj`), nkv));
    const att = tf.div(tf.matMul(q, k, false, true), Math.sqrt(hd));
    const probs = tf.softmax(tf.where(allowed, att, tf.fill(att.shape, -Infinity)));
    const y = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B, S, nh * hd]);
    x = tf.add(x, lin(y, w, `${p}.self_attn.o_proj`));
    const m = rms(x, w[`${p}.post_attention_layernorm.weight`], c.eps);
    const g = lin(m, w, `${p}.mlp.gate_proj`);
    x = tf.add(x, lin(tf.mul(tf.mul(g, tf.sigmoid(g)), lin(m, w, `${p}.mlp.up_proj`)), w, `${p}.mlp.down_proj`));
  }
  const f = tf.reshape(rms(x, w['model.norm.weight'], c.eps), [B * S, -1]);
  const logits = c.tie ? tf.matMul(f, w['model.embed_tokens.weight'], false, true) : tf.matMul(f, w['lm_head.weight']);
  return tf.reshape(logits, [B, S, -1]);
}

function refLoss(logits: tf.Tensor, targets: tf.Tensor1D): tf.Scalar {
  const V = logits.shape[logits.rank - 1];
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(tf.reshape(logits, [-1, V])), tf.oneHot(targets, V)), -1))) as tf.Scalar;
}

function denseWeights(store: WeightStore): Weights {
  return Object.fromEntries(store.names().map((n) => [n, store.dense(n)]));
}

// ---------------------------------------------------------------- layout and counts

test('parameter names follow HF LlamaForCausalLM ("model." kept); lm_head only when untied', async () => {
  const untied = llama(GQA);
  const store = new WeightStore({ mode: 'numeric' });
  const run = await runOurs(untied, store);
  const layer = (i: number) =>
    ['input_layernorm.weight', 'self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight', 'self_attn.o_proj.weight', 'post_attention_layernorm.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'mlp.down_proj.weight'].map((n) => `model.layers.${i}.${n}`);
  assert.deepEqual(run.names, ['model.embed_tokens.weight', ...layer(0), ...layer(1), 'model.norm.weight', 'lm_head.weight']);
  const shapes: Record<string, number[]> = {
    'model.embed_tokens.weight': [64, 32], 'model.layers.0.self_attn.q_proj.weight': [32, 32], 'model.layers.0.self_attn.k_proj.weight': [32, 16],
    'model.layers.0.self_attn.v_proj.weight': [32, 16], 'model.layers.0.self_attn.o_proj.weight': [32, 32], 'model.layers.1.mlp.gate_proj.weight': [32, 48],
    'model.layers.1.mlp.down_proj.weight': [48, 32], 'model.norm.weight': [32], 'lm_head.weight': [32, 64],
  };
  for (const [n, s] of Object.entries(shapes)) assert.deepEqual([...store.decl(n).shape], s, n);
  const total = (st: WeightStore) => st.names().reduce((p, n) => p + st.decl(n).shape.reduce((a, d) => a * d, 1), 0);
  assert.equal(untied.paramCount(), total(store));
  assert.deepEqual(untied.layerPaths(), ['model.layers.0', 'model.layers.1']);
  assert.equal(hfTensorLayout('model.layers.0.self_attn.q_proj.weight'), 'transpose');
  assert.equal(hfTensorLayout('model.layers.1.mlp.down_proj.weight'), 'transpose');
  assert.equal(hfTensorLayout('lm_head.weight'), 'transpose');
  assert.equal(hfTensorLayout('model.embed_tokens.weight'), 'as-is');
  assert.equal(hfTensorLayout('model.norm.weight'), 'as-is');
  assert.equal(hfTensorLayout('model.layers.0.self_attn.q_proj.bias'), 'as-is');

  const tied = llama({ ...GQA, tieEmbeddings: true, qkvBias: true });
  const store2 = new WeightStore({ mode: 'numeric' });
  const run2 = await runOurs(tied, store2);
  assert.ok(!run2.names.includes('lm_head.weight'));
  for (const p of ['q_proj', 'k_proj', 'v_proj']) assert.ok(run2.names.includes(`model.layers.0.self_attn.${p}.bias`), `${p} bias`);
  assert.ok(!run2.names.includes('model.layers.0.self_attn.o_proj.bias'));
  assert.equal(tied.paramCount(), total(store2));
});

test('parameter counts of real configs, without allocating: Llama-2-7B 6,738,415,616 and friends', () => {
  assert.equal(llamaFromHF(LLAMA2_7B).paramCount(), 6_738_415_616);
  assert.equal(models.fromHF(LLAMA3_8B).paramCount(), 8_030_261_248);
  assert.equal(models.fromHF(MISTRAL_7B).paramCount(), 7_241_732_096);
  assert.equal(models.fromHF(QWEN2_05B).paramCount(), 494_032_768);
  assert.equal(models.llama({ nLayer: 32, hidden: 4096, nHead: 32, ffnHidden: 11008, vocab: 32000 }).paramCount(), 6_738_415_616);
});

test('HF configs: fields read, defaults applied, and Mistral/Qwen2 differences kept', () => {
  const l2 = llamaFromHF(LLAMA2_7B).config;
  assert.equal(l2.nKvHead, 32);
  assert.equal(l2.headDim, 128);
  assert.equal(l2.ropeTheta, 10000, 'rope_theta defaults to 10000');
  assert.equal(l2.rmsNormEps, 1e-5);
  assert.equal(l2.maxPositions, 4096);
  assert.equal(l2.tieEmbeddings, false);
  const l3 = models.fromHF(LLAMA3_8B);
  assert.equal(l3.name, 'llama');
  assert.equal((l3.config as { ropeTheta: number }).ropeTheta, 500000);
  const mistral = models.fromHF(MISTRAL_7B);
  assert.equal(mistral.name, 'mistral');
  assert.equal((mistral.config as { slidingWindow: number }).slidingWindow, 4096);
  const qwen = llamaFromHF(QWEN2_05B).config;
  assert.deepEqual([qwen.qkvBias, qwen.oBias, qwen.tieEmbeddings, qwen.nKvHead, qwen.headDim, qwen.slidingWindow], [true, false, true, 2, 64, null]);
  const biased = llamaFromHF({ ...LLAMA2_7B, attention_bias: true, mlp_bias: true }).config;
  assert.deepEqual([biased.qkvBias, biased.oBias, biased.mlpBias], [true, true, true], 'HF Llama attention_bias puts a bias on q, k, v and o');
  const scaled = llamaFromHF({ ...LLAMA3_8B, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }).config;
  assert.deepEqual(scaled.ropeScaling, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
  const withHeadDim = llamaFromHF({ ...MISTRAL_7B, hidden_size: 5120, head_dim: 128 }).config;
  assert.equal(withHeadDim.headDim, 128, 'an explicit head_dim wins over hidden / nHead');
});

// ---------------------------------------------------------------- numerics

const VARIANTS: [string, LlamaConfig][] = [
  ['GQA (4 query heads, 2 kv heads), untied', GQA],
  ['multi-query (1 kv head), tied, Qwen2 q/k/v biases, θ = 500000', { ...GQA, nKvHead: 1, tieEmbeddings: true, qkvBias: true, ropeTheta: 500000 }],
  ['multi-head, 2 heads of 16', { ...GQA, nHead: 2, nKvHead: 2 }],
];

for (const [label, cfg] of VARIANTS) {
  test(`logits and loss equal a plain TensorFlow.js Llama: ${label}`, async () => {
    const spec = llama(cfg);
    const store = new WeightStore({ mode: 'numeric', seed: 21 });
    const run = await runOurs(spec, store);
    assert.deepEqual(run.logitsShape, [SHAPE.batch, SHAPE.seq, cfg.vocab]);
    const ids = tf.tensor2d(run.ids, [SHAPE.batch, SHAPE.seq], 'int32');
    const logits = refLlama(denseWeights(store), ids, refCfg(spec));
    const ref = logits.dataSync();
    assert.ok(maxAbs(ref) > 0.1, 'logits are not trivially small');
    assert.ok(maxDiff(run.logits, ref) < 1e-4, `max |Δ logits| ${maxDiff(run.logits, ref)}`);
    const loss = refLoss(logits, tf.tensor1d(run.targets, 'int32')).dataSync()[0];
    assert.ok(Math.abs(run.loss - loss) < 1e-5, `loss ${run.loss} vs ${loss}`);
    store.dispose();
  });
}

for (const attention of ['flash', 'unfused'] as const) test(`gradients equal tf.grads of the plain Llama (through RoPE, GQA, SwiGLU and RMSNorm), ${attention} attention`, async () => {
  const spec = llama({ ...GQA, attention });
  const store = new WeightStore({ mode: 'numeric', seed: 22 });
  const run = await runOurs(spec, store);
  const w = denseWeights(store);
  const names = [
    'model.embed_tokens.weight', 'model.layers.0.input_layernorm.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.weight',
    'model.layers.0.self_attn.v_proj.weight', 'model.layers.1.self_attn.o_proj.weight', 'model.layers.1.mlp.gate_proj.weight', 'model.layers.1.mlp.up_proj.weight',
    'model.layers.0.mlp.down_proj.weight', 'model.layers.1.post_attention_layernorm.weight', 'model.norm.weight', 'lm_head.weight',
  ];
  const ids = tf.tensor2d(run.ids, [SHAPE.batch, SHAPE.seq], 'int32');
  const targets = tf.tensor1d(run.targets, 'int32');
  const g = tf.grads((...xs: tf.Tensor[]) => refLoss(refLlama({ ...w, ...Object.fromEntries(names.map((n, i) => [n, xs[i]])) }, ids, refCfg(spec)), targets));
  const refGrads = g(names.map((n) => w[n]));
  names.forEach((n, i) => {
    const ref = refGrads[i].dataSync();
    const d = maxDiff(run.grads[n], ref);
    assert.ok(maxAbs(ref) > 1e-5, `${n}: the reference gradient is not zero`);
    assert.ok(d < 1e-6 + 1e-4 * maxAbs(ref), `${n}: max |Δ grad| ${d} (max |grad| ${maxAbs(ref)})`);
  });
  tf.dispose([ids, targets, ...refGrads]);
  store.dispose();
});

test('tied Llama: lm_head is a TiedLMHead on embed_tokens', async () => {
  const store = new WeightStore({ mode: 'numeric' });
  const res = await simulate({ mesh: { tp: 1 } }, (ctx) => {
    const m = llama({ ...GQA, tieEmbeddings: true }).build(new Params(ctx, store));
    assignPaths(m);
    const head = m.get('lm_head');
    assert.ok(head instanceof TiedLMHead);
    assert.equal(head.weight, (m.get('model.embed_tokens') as unknown as { weight: unknown }).weight);
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
});

// ---------------------------------------------------------------- RoPE

/** The rotation written out per element, in float64. */
function ropeDirect(x: ArrayLike<number>, [B, S, W]: number[], hd: number, theta: number, sign = 1): Float64Array {
  const out = new Float64Array(B * S * W);
  const half = hd / 2;
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < S; p++) {
      for (let h = 0; h < W / hd; h++) {
        const o = (b * S + p) * W + h * hd;
        for (let i = 0; i < half; i++) {
          const a = sign * p * Math.pow(theta, (-2 * i) / hd);
          const x1 = x[o + i];
          const x2 = x[o + half + i];
          out[o + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
          out[o + half + i] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
      }
    }
  }
  return out;
}

for (const theta of [10000, 500000]) {
  test(`RoPE equals the direct rotation formula (θ base ${theta}), and its gradient is the inverse rotation`, async () => {
    const shape = [2, 7, 3 * 8];
    const res = await simulate({ mesh: { tp: 1 } }, async (ctx) => {
      const x = ctx.randn(shape, { key: 'x', requiresGrad: true });
      const wgt = ctx.randn(shape, { key: 'w' });
      const { cos, sin } = ropeTables(ctx, 7, ropeInvFreq(8, theta));
      const y = applyRope(x, cos, sin);
      await ctx.backward(sum(mul(y, wgt)));
      return { x: Array.from(await x.values()), w: Array.from(await wgt.values()), y: Array.from(await y.values()), dx: Array.from(x.grad!.valuesSync()) };
    });
    assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
    const r = res.returns[0] as { x: number[]; w: number[]; y: number[]; dx: number[] };
    assert.ok(maxDiff(r.y, ropeDirect(r.x, shape, 8, theta)) < 2e-6, `max |Δ| ${maxDiff(r.y, ropeDirect(r.x, shape, 8, theta))}`);
    assert.ok(maxDiff(r.y.slice(0, 24), r.x.slice(0, 24)) === 0, 'position 0 is not rotated');
    // d/dx Σ w ⊙ R x = Rᵀ w: rotation by the opposite angle.
    assert.ok(maxDiff(r.dx, ropeDirect(r.w, shape, 8, theta, -1)) < 2e-6);
  });
}

test('RoPE frequencies: θ_i = base^(−2i/hd); Llama-3 scaling keeps high, slows low, blends the middle', () => {
  const f = ropeInvFreq(128, 500000);
  for (const i of [0, 1, 17, 63]) assert.ok(Math.abs(f[i] - 500000 ** (-(2 * i) / 128)) < 1e-15);
  const s = ropeInvFreq(128, 500000, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
  let kept = 0;
  let slowed = 0;
  let blended = 0;
  for (let i = 0; i < 64; i++) {
    const wavelen = (2 * Math.PI) / f[i];
    if (wavelen < 8192 / 4) assert.equal(s[i], f[i], `i=${i}: short wavelengths unchanged`), kept++;
    else if (wavelen > 8192) assert.ok(Math.abs(s[i] - f[i] / 8) < 1e-18, `i=${i}: long wavelengths slowed 8×`), slowed++;
    else assert.ok(s[i] < f[i] && s[i] > f[i] / 8, `i=${i}: blended`), blended++;
  }
  assert.ok(kept > 0 && slowed > 0 && blended > 0);
  const lin = ropeInvFreq(64, 10000, { type: 'linear', factor: 4 });
  assert.ok(Math.abs(lin[5] - 10000 ** (-10 / 64) / 4) < 1e-15);
});

// ---------------------------------------------------------------- shapes only, and errors

test('meta mode: Llama-3-8B (GQA 32/8) runs shapes only, logits [1, 16, 128256]', async () => {
  const spec = models.fromHF(LLAMA3_8B);
  const store = new WeightStore({ mode: 'meta' });
  const res = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, async (ctx) => {
    const m = spec.build(new Params(ctx, store));
    const y = await m.call(spec.batch(ctx, { batch: 1, seq: 16 }, 0).input);
    return { shape: [...y.shape], meta: y.isMeta };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  assert.deepEqual(res.returns[0], { shape: [1, 16, 128256], meta: true });
  assert.equal(store.names().length, 291);
});

test('bad configs fail with a ConfigError that says what to change', () => {
  const throwsConfig = (fn: () => unknown, msg: RegExp, fix: RegExp) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.match(e.message, msg);
      assert.match(e.fix ?? '', fix);
      return true;
    });
  throwsConfig(() => llama({ ...GQA, nHead: 5, nKvHead: 5 }), /hidden 32 is not divisible by nHead 5/, /choose nHead dividing 32 \(e\.g\. 4\), or set headDim/);
  throwsConfig(() => llama({ ...GQA, nHead: 4, nKvHead: 3 }), /nHead 4 is not a multiple of nKvHead 3/, /choose nKvHead dividing 4 \(e\.g\. (2|4)\)/);
  throwsConfig(() => llama({ ...GQA, hidden: 36, nHead: 4, nKvHead: 4 }), /head dim 9 is odd/, /even/);
  throwsConfig(() => llamaFromHF({ ...LLAMA2_7B, hidden_size: undefined }), /no numeric "hidden_size"/, /add "hidden_size"/);
  throwsConfig(() => llamaFromHF({ ...LLAMA2_7B, hidden_act: 'gelu' }), /hidden_act "gelu"/, /silu/);
  throwsConfig(() => llamaFromHF({ ...LLAMA2_7B, rope_scaling: { rope_type: 'yarn', factor: 4 } }), /rope_scaling type "yarn"/, /linear/);
  throwsConfig(() => models.fromHF({ ...LLAMA2_7B, model_type: 'gemma' }), /model_type "gemma" is not supported/, /supported model_type values: gpt2, llama, mistral, qwen2/);
  throwsConfig(() => models.fromHF({ hidden_size: 4 }), /no "model_type"/, /gpt2, llama/);
});

test('a sequence longer than a sliding window is refused, not silently mis-modelled', async () => {
  const store = new WeightStore({ mode: 'numeric' });
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx) => {
    const spec = llama({ ...GQA, slidingWindow: 4, name: 'mistral' });
    await spec.build(new Params(ctx, store)).call(spec.batch(ctx, SHAPE, 0).input);
  });
  assert.equal(res.ok, false);
  assert.ok(res.errors[0] instanceof SimError);
  assert.match(res.errors[0].message, /sequence length 8 exceeds the sliding window 4/);
});
