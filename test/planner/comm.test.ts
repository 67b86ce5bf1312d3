import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trafficOf } from '../../src/core/traffic.js';
import { gpt2 } from '../../src/models/gpt2.js';
import { idealBubble } from '../../src/parallel/pipeline/schedule.js';
import { tpExposedUs, tpLayerCollectives, tpSentElementsPerLayer } from '../../src/planner/comm.js';
import { makeSetup } from '../../src/planner/setup.js';
import { simulatePlan } from '../../src/planner/spec.js';
import { estimateTime } from '../../src/planner/time.js';

// Narayanan et al. 2021 §3.2: per layer and micro-batch, tensor parallelism runs 4 all-reduces of
// b·s·h elements (2 forward after attention and MLP, 2 backward for their inputs' gradients); a ring
// all-reduce over t ranks sends 2(t − 1)/t of the buffer from each rank, so each rank sends
// 4 · 2(t − 1)/t · bsh = 8bsh(t − 1)/t elements (in bf16: twice that in bytes).
test('Narayanan: tensor-parallel traffic per layer per micro-batch is 8bsh(t − 1)/t elements per rank (ring all-reduce)', () => {
  const [b, s, h] = [4, 2048, 12288];
  for (const t of [2, 4, 8]) {
    const c = tpLayerCollectives({ sequenceParallel: false, recompute: 'none' }, 2 * b * s * h);
    const ops = [...c.forward, ...c.backward];
    assert.deepEqual(ops.map((x) => x.op), ['all_reduce', 'all_reduce', 'all_reduce', 'all_reduce']);
    const sent = ops.reduce((a, x) => a + trafficOf(x.op, 'ring', t, x.bytes / 2, 2).sent[0], 0);
    assert.equal(sent, 2 * tpSentElementsPerLayer(b, s, h, t), `t=${t}`);
    assert.equal(tpSentElementsPerLayer(b, s, h, t), (8 * b * s * h * (t - 1)) / t);
  }
});

test('sequence parallelism: each all-reduce becomes a reduce-scatter + an all-gather (Korthikanti §4.2.2), plus the re-gather of the kept 1/t inputs in backward', () => {
  const [b, s, h, t] = [1, 2048, 6144, 8];
  const c = tpLayerCollectives({ sequenceParallel: true, recompute: 'selective' }, 2 * b * s * h);
  const ops = [...c.forward, ...c.backward];
  assert.equal(ops.length, 10);
  assert.equal(ops.filter((x) => x.op === 'all_gather').length, 6);
  const sent = ops.reduce((a, x) => a + trafficOf(x.op, 'ring', t, x.bytes / 2, 2).sent[0], 0);
  // 8 of them move the non-SP volume; the two re-gathers add a quarter
  assert.equal(sent, 2 * 1.25 * tpSentElementsPerLayer(b, s, h, t));
});

test('what Megatron overlaps: the backward dX reductions hide behind the weight-gradient GEMMs', () => {
  const c = tpLayerCollectives({ sequenceParallel: false, recompute: 'none' }, 100);
  assert.deepEqual(c.backward.map((x) => x.overlap?.with), ['up.wgrad', 'qkv.wgrad']);
  const time = () => 10;
  const gemm = (ref: string) => (ref === 'up.wgrad' ? 4 : 20);
  assert.equal(tpExposedUs(c.backward, 'none', time, gemm), 20);
  assert.equal(tpExposedUs(c.backward, 'backward', time, gemm), 6 + 0);
  assert.equal(tpExposedUs(c.forward, 'backward', time, gemm), 20, 'forward all-reduces stay exposed');
  const sp = tpLayerCollectives({ sequenceParallel: true, recompute: 'none' }, 100);
  // ḡ's all-gathers of out/down's output gradient stay exposed unless TE overlaps everything
  assert.equal(tpExposedUs(sp.backward, 'backward', time, () => 20), 20);
  assert.equal(tpExposedUs(sp.backward, 'all', time, () => 20), 0);
});

test('full recompute repeats the forward collectives in the backward', () => {
  const c = tpLayerCollectives({ sequenceParallel: false, recompute: 'full' }, 100);
  assert.equal(c.backward.length, 4);
});

test('the simulator agrees: a GPT-2 layer at tp=4 sends 8bsh(t − 1)/t × 2 bytes per rank, with and without SP', async () => {
  const [b, s, h, t] = [4, 128, 256, 4];
  const spec = gpt2({ nLayer: 2, nEmbd: h, nHead: 8, vocab: 512, nPositions: 256 });
  const setup = makeSetup({ model: { id: 'gpt2-tiny', dropout: false, spec }, seq: s, globalBatch: b, gpus: t, gpu: 'h100' });
  for (const sequenceParallel of [false, true]) {
    const r = await simulatePlan({ tp: t, pp: 1, dp: 1, microBatch: b, schedule: '1F1B', virtual: 1, sequenceParallel, recompute: 'none', zero: 0 }, setup);
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    // the layer's activation collectives (not the [H] bias-gradient all-reduces of SP's row layers)
    const all = r.collectives.filter((c) => c.module?.startsWith('h.0.') && c.shape.length === 3);
    // with SP, Megatron's column layers keep their input's sequence shard and all-gather it again
    // in the backward for the weight gradient: two more all-gathers of bsh, which the planner's
    // count (Korthikanti §4.2.2: "the same bytes as without SP") leaves out
    const regather = all.filter((c) => c.label?.endsWith('backward_regather'));
    assert.equal(regather.length, sequenceParallel ? 2 : 0);
    for (const c of regather) {
      assert.equal(c.op, 'all_gather');
      assert.equal(c.phase, 'backward');
      assert.equal(c.bytes, 2 * b * s * h);
    }
    const layer = all.filter((c) => !regather.includes(c));
    assert.equal(layer.length, sequenceParallel ? 8 : 4);
    const sent = layer.reduce((a, c) => a + c.sentBytesPerRank, 0);
    assert.equal(sent, 2 * tpSentElementsPerLayer(b, s, h, t), `SP ${sequenceParallel}`);
  }
});

test('Narayanan: the pipeline bubble is (p − 1)/(v·m) when stages are alike', () => {
  // a model whose embedding and head are negligible, so every stage takes the same time
  const spec = gpt2({ nLayer: 32, nEmbd: 4096, nHead: 32, vocab: 64, nPositions: 2048 });
  const setup = makeSetup({ model: { id: 'uniform', dropout: false, spec }, seq: 2048, globalBatch: 64, gpus: 64, gpu: 'a100' });
  for (const [pp, v, mb] of [[4, 1, 1], [8, 1, 2], [8, 2, 1], [4, 4, 1]]) {
    const dp = 64 / (8 * pp);
    const plan = { tp: 8, pp, dp, microBatch: mb, schedule: (v > 1 ? 'Interleaved1F1B' : '1F1B') as '1F1B', virtual: v, sequenceParallel: true, recompute: 'none' as const, zero: 1 as const };
    const m = 64 / (dp * mb);
    const t = estimateTime(setup, plan);
    // stages alike up to the tiny embedding and head (whose GEMMs quantize badly: N = V/t = 8)
    const times = t.stages.map((x) => x.perMicrobatchUs);
    const weights = t.stages.map((x) => (pp > 2 && x.stage === 1 ? pp - 2 : 1));
    const mean = times.reduce((a, x, i) => a + weights[i] * x, 0) / pp;
    const slow = Math.max(...times);
    assert.ok(mean / slow > 0.97, `pp=${pp}: stages differ by ${1 - mean / slow}`);
    assert.ok(Math.abs(t.bubbleFraction - (idealBubble(pp, m, v) * mean) / slow) < 1e-9, `pp=${pp} v=${v} m=${m}: ${t.bubbleFraction} vs ${idealBubble(pp, m, v)}`);
  }
});
