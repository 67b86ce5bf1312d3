import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backend.js';
import { ConfigError, Rng, simulate } from '../../src/core/index.js';
import { Params, WeightStore } from '../../src/models/weights.js';
import { gpt2 } from '../../src/models/gpt2.js';
import { llama, type LlamaConfig } from '../../src/models/llama.js';
import { declareParams, halfToFloat, loadIntoStore, parseSafetensors, safetensorsMetadata, writeSafetensors } from '../../src/models/safetensors.js';
import type { ModelSpec } from '../../src/models/model.js';

before(async () => {
  await useBackend();
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same number of values');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A .safetensors file assembled by hand from raw little-endian bytes (independent of writeSafetensors). */
function rawFile(entries: { name: string; dtype: string; shape: number[]; bytes: number[] }[], headerExtra: Record<string, unknown> = {}): Uint8Array {
  const header: Record<string, unknown> = { ...headerExtra };
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    off += e.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setUint32(0, json.length, true); // high 32 bits stay 0
  out.set(json, 8);
  out.set(entries.flatMap((e) => e.bytes), 8 + json.length);
  return out;
}

const u16le = (xs: number[]) => xs.flatMap((x) => [x & 0xff, x >> 8]);

function throwsConfig(fn: () => unknown, msg: RegExp, fix?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.match(e.message, msg);
    if (fix) assert.match(e.fix ?? '', fix);
    return true;
  });
}

// ---------------------------------------------------------------- the format

test('writeSafetensors → parseSafetensors round-trips names, shapes, values and metadata', () => {
  const a = Float32Array.from([1.5, -2, 3.25, 1e-30, 65504, -0]);
  const b = Float32Array.from([Math.PI, Math.E, 1 / 3, -7]);
  const bytes = writeSafetensors({ 'x.a': { shape: [2, 3], data: a }, 'x.b': { shape: [4], data: b }, empty: { shape: [0, 3], data: new Float32Array(0) } }, { format: 'pt' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0, 'the data starts 8-byte aligned');
  assert.equal(bytes.length, 8 + n + 4 * (6 + 4));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header['x.b'], { dtype: 'F32', shape: [4], data_offsets: [24, 40] });
  const parsed = parseSafetensors(bytes);
  assert.deepEqual([...parsed.keys()], ['x.a', 'x.b', 'empty']);
  assert.deepEqual(parsed.get('x.a'), { dtype: 'F32', shape: [2, 3], data: a });
  assert.deepEqual([...parsed.get('x.b')!.data], [...b]);
  assert.deepEqual(parsed.get('empty')!.shape, [0, 3]);
  assert.deepEqual(safetensorsMetadata(bytes), { format: 'pt' });
});

test('F16, BF16, F8, integer and unaligned F32 tensors decode from known bit patterns', () => {
  const f32 = new Uint8Array(Float32Array.from([0.1, -3]).buffer);
  const bytes = rawFile([
    // F16: 1, −2, 65504 (max), 2^−24 (smallest subnormal), 1/3 rounded, −0, +∞, −∞, NaN
    { name: 'h', dtype: 'F16', shape: [9], bytes: u16le([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x8000, 0x7c00, 0xfc00, 0x7e00]) },
    // BF16: 1, −3, 3.140625, 1 + 2^−7, +∞, smallest subnormal 2^−133
    { name: 'bf', dtype: 'BF16', shape: [2, 3], bytes: u16le([0x3f80, 0xc040, 0x4049, 0x3f81, 0x7f80, 0x0001]) },
    { name: 'u8', dtype: 'U8', shape: [3], bytes: [0, 7, 255] }, // leaves the next tensor unaligned
    { name: 'f32', dtype: 'F32', shape: [2], bytes: [...f32] },
    { name: 'i64', dtype: 'I64', shape: [2], bytes: [5, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] },
    { name: 'i32', dtype: 'I32', shape: [1], bytes: [0xff, 0xff, 0xff, 0xff] },
    // E4M3: 1 (0.0111.000), −448 (max), 2^−9 (smallest subnormal), NaN; E5M2: 1, −2
    { name: 'e4', dtype: 'F8_E4M3', shape: [4], bytes: [0x38, 0xfe, 0x01, 0x7f] },
    { name: 'e5', dtype: 'F8_E5M2', shape: [2], bytes: [0x3c, 0xc0] },
  ]);
  const p = parseSafetensors(bytes);
  const h = [...p.get('h')!.data];
  assert.deepEqual(h.slice(0, 4), [1, -2, 65504, 2 ** -24]);
  assert.equal(h[4], Math.fround(0.333251953125));
  assert.ok(Object.is(h[5], -0));
  assert.deepEqual(h.slice(6, 8), [Infinity, -Infinity]);
  assert.ok(Number.isNaN(h[8]));
  const bf = p.get('bf')!;
  assert.equal(bf.dtype, 'BF16');
  assert.deepEqual(bf.shape, [2, 3]);
  assert.deepEqual([...bf.data], [1, -3, 3.140625, 1 + 2 ** -7, Infinity, 2 ** -133]);
  assert.deepEqual([...p.get('u8')!.data], [0, 7, 255]);
  assert.deepEqual([...p.get('f32')!.data], [Math.fround(0.1), -3]);
  assert.deepEqual([...p.get('i64')!.data], [5, -2]);
  assert.deepEqual([...p.get('i32')!.data], [-1]);
  const e4 = [...p.get('e4')!.data];
  assert.deepEqual(e4.slice(0, 3), [1, -448, 2 ** -9]);
  assert.ok(Number.isNaN(e4[3]));
  assert.deepEqual([...p.get('e5')!.data], [1, -2]);
  assert.equal(halfToFloat(0x3c01), 1 + 2 ** -10);
});

test('malformed files fail with errors naming the problem', () => {
  throwsConfig(() => parseSafetensors(new Uint8Array(4)), /too short/, /complete \.safetensors/);
  const big = new Uint8Array(16);
  new DataView(big.buffer).setUint32(0, 1000, true);
  throwsConfig(() => parseSafetensors(big), /header claims 1000 bytes but only 8 follow/);
  const notJson = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b]);
  throwsConfig(() => parseSafetensors(notJson), /not valid JSON/);
  throwsConfig(() => parseSafetensors(rawFile([{ name: 'w', dtype: 'F32', shape: [3], bytes: [0, 0, 0, 0] }])), /"w" F32 \[3\] needs 12 bytes but its offsets span 4/);
  throwsConfig(() => parseSafetensors(rawFile([{ name: 'w', dtype: 'C64', shape: [1], bytes: [0, 0, 0, 0] }])), /"w" has dtype "C64"/);
  const past = rawFile([{ name: 'w', dtype: 'F32', shape: [1], bytes: [0, 0, 0, 0] }], { v: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } });
  throwsConfig(() => parseSafetensors(past), /"v" has data_offsets \[4,8\] outside the 4 data bytes/);
  throwsConfig(() => writeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }), /"w" has 3 values for shape \[2, 2\]/, /same element count/);
});

// ---------------------------------------------------------------- loading HF checkpoints

const TINY_LLAMA: LlamaConfig = { nLayer: 2, hidden: 32, nHead: 4, nKvHead: 2, ffnHidden: 48, vocab: 64, rmsNormEps: 1e-5, ropeTheta: 10000 };
const B = 2;
const S = 8;

/** Random values for every tensor of an HF Llama checkpoint, in HF's layout (nn.Linear weight [out, in]). */
function hfLlamaTensors(c: LlamaConfig, seed: number): Record<string, { shape: number[]; data: Float32Array }> {
  const H = c.hidden;
  const hd = H / c.nHead;
  const kv = (c.nKvHead ?? c.nHead) * hd;
  const rng = new Rng(seed);
  const t = (shape: number[], mean = 0) => ({ shape, data: rng.fillNormal(new Float32Array(shape.reduce((a, d) => a * d, 1)), 0.1, mean) });
  const out: Record<string, { shape: number[]; data: Float32Array }> = { 'model.embed_tokens.weight': t([c.vocab, H]) };
  for (let l = 0; l < c.nLayer; l++) {
    const p = `model.layers.${l}`;
    out[`${p}.input_layernorm.weight`] = t([H], 1);
    out[`${p}.self_attn.q_proj.weight`] = t([H, H]);
    out[`${p}.self_attn.k_proj.weight`] = t([kv, H]);
    out[`${p}.self_attn.v_proj.weight`] = t([kv, H]);
    out[`${p}.self_attn.o_proj.weight`] = t([H, H]);
    out[`${p}.post_attention_layernorm.weight`] = t([H], 1);
    out[`${p}.mlp.gate_proj.weight`] = t([c.ffnHidden, H]);
    out[`${p}.mlp.up_proj.weight`] = t([c.ffnHidden, H]);
    out[`${p}.mlp.down_proj.weight`] = t([H, c.ffnHidden]);
  }
  out['model.norm.weight'] = t([H], 1);
  out['lm_head.weight'] = t([c.vocab, H]);
  return out;
}

/** HF Llama forward from HF-layout tensors: every Linear is y = x·Wᵀ, as torch.nn.Linear computes it. */
function refLlamaHF(w: Record<string, tf.Tensor>, ids: number[], c: LlamaConfig): Float32Array {
  return tf.tidy(() => {
    const H = c.hidden;
    const nh = c.nHead;
    const nkv = c.nKvHead ?? nh;
    const hd = H / nh;
    const eps = c.rmsNormEps!;
    const linear = (x: tf.Tensor, n: string) => tf.reshape(tf.matMul(tf.reshape(x, [B * S, -1]), w[`${n}.weight`], false, true), [B, S, -1]);
    const rms = (x: tf.Tensor, n: string) => tf.mul(tf.div(x, tf.sqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w[`${n}.weight`]);
    const half = hd / 2;
    const ang = Array.from({ length: S * half }, (_, j) => Math.floor(j / half) / Math.pow(c.ropeTheta!, (2 * (j % half)) / hd));
    const cos = tf.tensor3d(ang.map(Math.cos), [S, 1, half]);
    const sin = tf.tensor3d(ang.map(Math.sin), [S, 1, half]);
    const rope = (x: tf.Tensor, n: number) => {
      const [a, b] = tf.split(tf.reshape(x, [B, S, n, hd]), 2, 3);
      return tf.concat([tf.sub(tf.mul(a, cos), tf.mul(b, sin)), tf.add(tf.mul(b, cos), tf.mul(a, sin))], 3); // [B, S, n, hd]
    };
    const toHeads = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1, 3]);
    const causal = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([S, S]), -1, 0)), -1e30);
    let x: tf.Tensor = tf.reshape(tf.gather(w['model.embed_tokens.weight'], tf.tensor1d(ids, 'int32')), [B, S, H]);
    for (let l = 0; l < c.nLayer!; l++) {
      const p = `model.layers.${l}`;
      const a = rms(x, `${p}.input_layernorm`);
      const q = toHeads(rope(linear(a, `${p}.self_attn.q_proj`), nh));
      const k = toHeads(rope(linear(a, `${p}.self_attn.k_proj`), nkv));
      const v = toHeads(tf.reshape(linear(a, `${p}.self_attn.v_proj`), [B, S, nkv, hd]));
      const heads = [];
      for (let h = 0; h < nh; h++) {
        const g = Math.floor(h / (nh / nkv));
        const qh = tf.slice(q, [0, h, 0, 0], [B, 1, S, hd]);
        const kh = tf.slice(k, [0, g, 0, 0], [B, 1, S, hd]);
        const vh = tf.slice(v, [0, g, 0, 0], [B, 1, S, hd]);
        heads.push(tf.matMul(tf.softmax(tf.add(tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(hd)), causal)), vh));
      }
      const y = tf.reshape(tf.transpose(tf.concat(heads, 1), [0, 2, 1, 3]), [B, S, H]);
      x = tf.add(x, linear(y, `${p}.self_attn.o_proj`));
      const m = rms(x, `${p}.post_attention_layernorm`);
      const gate = linear(m, `${p}.mlp.gate_proj`);
      x = tf.add(x, linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(m, `${p}.mlp.up_proj`)), `${p}.mlp.down_proj`));
    }
    return linear(rms(x, 'model.norm'), 'lm_head').dataSync() as Float32Array;
  });
}

/** Our model's logits on one rank, from a store that already holds the values. */
async function logitsOf(spec: ModelSpec, store: WeightStore): Promise<{ logits: number[]; ids: number[] }> {
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx) => {
    const m = spec.build(new Params(ctx, store));
    const { input } = spec.batch(ctx, { batch: B, seq: S }, 3);
    const y = await m.call(input);
    return { logits: Array.from(await y.values()), ids: Array.from(await input.values()) };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return res.returns[0] as { logits: number[]; ids: number[] };
}

test('an HF Llama checkpoint loads ([out, in] weights transposed) and the model reproduces the plain-tf logits', async () => {
  const tensors = hfLlamaTensors(TINY_LLAMA, 1);
  const file = writeSafetensors({ ...tensors, 'model.layers.0.self_attn.rotary_emb.inv_freq': { shape: [4], data: new Float32Array(4) }, 'model.layers.7.extra.weight': { shape: [2], data: new Float32Array(2) } }, { format: 'pt' });
  const spec = llama(TINY_LLAMA);
  const store = new WeightStore({ mode: 'numeric', seed: 99 });
  await declareParams(spec, store);
  assert.equal(store.names().length, Object.keys(tensors).length, 'declared without values');
  const report = loadIntoStore(store, parseSafetensors(file), spec);
  assert.deepEqual([...report.loaded].sort(), Object.keys(tensors).sort());
  assert.deepEqual(report.missing, []);
  assert.deepEqual(report.unexpected, ['model.layers.7.extra.weight']);
  assert.deepEqual(report.ignored, ['model.layers.0.self_attn.rotary_emb.inv_freq']);
  assert.deepEqual(store.dense('model.layers.0.self_attn.k_proj.weight').shape, [32, 16], 'stored [in, out]');

  const ours = await logitsOf(spec, store);
  const w = Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, tf.tensor(t.data, t.shape)]));
  const ref = refLlamaHF(w, ours.ids, TINY_LLAMA);
  assert.ok(maxDiff(ours.logits, ref) < 1e-4, `max |Δ logits| ${maxDiff(ours.logits, ref)}`);
  tf.dispose(Object.values(w));
  store.dispose();
});

test('an HF GPT-2 checkpoint loads: "transformer." stripped, Conv1D weights as-is, buffers and the tied lm_head skipped', async () => {
  const spec = gpt2({ nLayer: 1, nEmbd: 16, nHead: 2, vocab: 32, nPositions: 8 });
  const store = new WeightStore({ mode: 'numeric', seed: 5 });
  await declareParams(spec, store);
  const rng = new Rng(2);
  const file: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const n of store.names()) {
    const shape = [...store.decl(n).shape];
    file[`transformer.${n}`] = { shape, data: rng.fillNormal(new Float32Array(shape.reduce((a, d) => a * d, 1)), 0.05) };
  }
  file['transformer.h.0.attn.bias'] = { shape: [1, 1, 8, 8], data: new Float32Array(64) };
  file['transformer.h.0.attn.masked_bias'] = { shape: [], data: new Float32Array(1) };
  file['lm_head.weight'] = file['transformer.wte.weight'];
  const report = loadIntoStore(store, parseSafetensors(writeSafetensors(file)), spec);
  assert.equal(report.loaded.length, store.names().length);
  assert.deepEqual(report.missing, []);
  assert.deepEqual(report.unexpected, []);
  assert.deepEqual(report.ignored, ['transformer.h.0.attn.bias', 'transformer.h.0.attn.masked_bias', 'lm_head.weight']);
  for (const n of ['h.0.attn.c_attn.weight', 'wpe.weight', 'ln_f.bias']) {
    assert.deepEqual(Array.from(store.dense(n).dataSync()), Array.from(file[`transformer.${n}`].data), n);
  }
  const { logits } = await logitsOf(spec, store);
  assert.equal(logits.length, B * S * 32);
  store.dispose();
});

test('a checkpoint that does not fit names each tensor, both shapes and the fix; absent tensors are reported missing', async () => {
  const spec = llama(TINY_LLAMA);
  const store = new WeightStore({ mode: 'numeric' });
  await declareParams(spec, store);
  const wrong = hfLlamaTensors({ ...TINY_LLAMA, nKvHead: 4 }, 3); // k/v_proj [32, 32] instead of [16, 32]
  throwsConfig(
    () => loadIntoStore(store, parseSafetensors(writeSafetensors(wrong)), spec),
    /^the checkpoint does not fit the model: "model\.layers\.0\.self_attn\.k_proj\.weight": the file has \[32, 32\] \(HF \[out, in\]; \[32, 32\] as our \[in, out\]\), the model expects \[32, 16\] \(and 3 more shape mismatches\)/,
    /checkpoint's own config\.json \(models\.fromHF\)/,
  );
  assert.notDeepEqual(Array.from(store.dense('model.norm.weight').dataSync()), Array.from(wrong['model.norm.weight'].data), 'nothing is loaded when shapes do not fit');

  const partial = hfLlamaTensors(TINY_LLAMA, 4);
  delete partial['lm_head.weight'];
  delete partial['model.layers.1.mlp.up_proj.weight'];
  const report = loadIntoStore(store, parseSafetensors(writeSafetensors(partial)), spec);
  assert.deepEqual(report.missing, ['model.layers.1.mlp.up_proj.weight', 'lm_head.weight']);

  throwsConfig(() => loadIntoStore(new WeightStore({ mode: 'numeric' }), new Map(), spec), /no parameters declared/, /declareParams/);

  // saved from a wrapper: every name under "base." — matched without it, and the prefix reported
  const wrapped = Object.fromEntries(Object.entries(hfLlamaTensors(TINY_LLAMA, 5)).map(([n, t]) => [`base.${n}`, t]));
  const r2 = loadIntoStore(store, parseSafetensors(writeSafetensors(wrapped)), spec);
  assert.equal(r2.missing.length, 0);
  assert.deepEqual(r2.prefixes, ['base.']);
  assert.deepEqual(Array.from(store.dense('model.norm.weight').dataSync()), Array.from(wrapped['base.model.norm.weight'].data));

  // nothing matches: an error naming what the file has and what the model has (was: 0 loaded, VERIFIED on seeded weights)
  const strangers = { 'encoder.block.0.w': hfLlamaTensors(TINY_LLAMA, 6)['model.norm.weight'] };
  throwsConfig(() => loadIntoStore(store, parseSafetensors(writeSafetensors(strangers)), spec), /none of the checkpoint's 1 tensors matches a parameter of the model: the file has "encoder\.block\.0\.w"; the model has "model\.embed_tokens\.weight"/, /prefix such as model\./);
  store.dispose();
});
