import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors.js';
import { gpt2 } from '../../src/models/gpt2.js';
import { runSimulation, simulation } from '../../src/parallel/index.js';
import type { SimulationSpec } from '../../src/parallel/simulation/spec.js';
import type { Report } from '../../src/report/types.js';
import { useBackend } from '../helpers/backend.js';

/**
 * Mixed-precision Adam and ZeRO: the bytes each GPU holds, counted as Megatron-LM and the ZeRO
 * paper count them (bf16 weights 2, fp32 main gradients 4, fp32 master weights and two moments
 * 12: 18 bytes per parameter; 16 with bf16 gradients), and the step's collectives.
 */

before(async () => {
  await useBackend();
});

// 2·(H·3H + 3H) + … : a tiny GPT-2 whose parameter count is even, so ZeRO shards divide exactly
const model = gpt2({ nLayer: 2, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 });
const PSI = model.paramCount();
const base = (over: Partial<SimulationSpec>): SimulationSpec => ({ mesh: {}, mode: 'meta', dtype: 'bfloat16', model, input: { batch: 2, seq: 8 }, ...over });
const persistent = (r: Report) => r.memory.perRank[0].persistentBytes;

test(`Adam, bf16 weights: 18 bytes per parameter (2 weights + 4 fp32 main gradients + 12 master weights and moments), Ψ = ${PSI}`, async () => {
  assert.equal(PSI % 2, 0);
  const none = await runSimulation(simulation(base({})));
  assert.equal(persistent(none), 4 * PSI, 'without an optimizer: bf16 weights and bf16 gradients');
  const adam = await runSimulation(simulation(base({ optimizer: 'adam' })));
  assert.equal(adam.errors.length, 0, JSON.stringify(adam.errors));
  assert.equal(persistent(adam), 18 * PSI);
  const bf16Grads = await runSimulation(simulation(base({ optimizer: { type: 'adam', mainGrads: 'param' } })));
  assert.equal(persistent(bf16Grads), 16 * PSI, 'ZeRO paper: 2 + 2 + K, K = 12');
});

test('the Adam step is a compute op in phase "optimizer" reading and writing 24 bytes of states per parameter', async () => {
  const r = await runSimulation(simulation(base({ optimizer: 'adam' })));
  const steps = r.timeline.events.filter((e) => e.name === 'adam_step');
  assert.ok(steps.length >= 1);
  for (const e of steps) {
    assert.equal(e.phase, 'optimizer');
    assert.ok(e.endUs > e.startUs);
  }
});

test('ZeRO-1, dp = 2: the states of half the parameters (2 + 4 + 12/2 = 12 bytes/parameter); fp32 reduce-scatter of the gradients, bf16 all-gather of the weights', async () => {
  const r = await runSimulation(simulation(base({ mesh: { dp: 2 }, input: { batch: 4, seq: 8 }, optimizer: 'adam', dataParallel: { zero: 1 } })));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  assert.equal(persistent(r), (2 + 4) * PSI + (12 * PSI) / 2);
  const rs = r.collectives.filter((c) => c.label === 'zero_grad_reduce_scatter');
  const ag = r.collectives.filter((c) => c.label === 'zero_param_all_gather');
  // per dp group: the reduce-scatter moves Ψ fp32 gradients, the all-gather Ψ bf16 weights
  const group = (cs: Report['collectives']) => cs.filter((c) => c.ranks.includes(0));
  assert.equal(group(rs).reduce((a, c) => a + c.elements, 0), PSI);
  assert.equal(group(rs).reduce((a, c) => a + c.bytes, 0), 4 * PSI);
  assert.equal(group(ag).reduce((a, c) => a + c.bytes, 0), 2 * PSI);
  for (const c of [...rs, ...ag]) assert.equal(c.phase, 'optimizer');
  for (const c of ag) assert.equal(c.dtype, 'bfloat16');
});

test('ZeRO-1 with Adam, numeric: gradients still verified against the unsharded model', async () => {
  const r = await runSimulation(simulation({ mesh: { dp: 2 }, model, input: { batch: 4, seq: 8 }, optimizer: 'adam', dataParallel: { zero: 1 } }));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
});

test('bad optimizer and ZeRO options are refused where the spec is checked', () => {
  assert.throws(() => simulation(base({ optimizer: 'sgd' as never })), (e: unknown) => e instanceof ConfigError && /optimizer must be/.test(e.message));
  assert.throws(() => simulation(base({ dataParallel: { zero: 4 as never } })), (e: unknown) => e instanceof ConfigError && /zero must be/.test(e.message));
  assert.throws(() => simulation(base({ mode: 'numeric', dataParallel: { zero: 3 } })), (e: unknown) => e instanceof ConfigError && /meta mode only/.test(e.message));
});

test('pp 2 × dp 2 × tp 2 with Adam and ZeRO-1: every rank holds 6 bytes per own parameter + 12/dp', async () => {
  const r = await runSimulation(simulation(base({
    mesh: { dp: 2, pp: 2, tp: 2 },
    model: gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 }),
    input: { batch: 8, seq: 8, microbatches: 4 },
    schedule: '1F1B',
    plan: { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' },
    optimizer: 'adam',
    dataParallel: { zero: 1 },
  })));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const ran = [...new Set(r.shards.map((s) => s.rank))]; // folded: one rank per stage ran
  assert.deepEqual(ran.map((k) => r.mesh.coords[k].pp).sort(), [0, 1]);
  for (const rank of ran) {
    const own = r.shards.filter((s) => s.rank === rank).reduce((a, s) => a + s.localShape.reduce((p, d) => p * d, 1), 0);
    assert.equal(r.memory.perRank[rank].persistentBytes, 6 * own + Math.ceil(own / 2) * 12, `rank ${rank}`);
  }
});

test('ZeRO-3, dp = 2: the layers keep half their weights and gradients; each layer gathers its weights in the forward and again in the backward, and reduce-scatters its gradients', async () => {
  const L = 2;
  const r = await runSimulation(simulation(base({ mesh: { dp: 2 }, input: { batch: 4, seq: 8 }, optimizer: 'adam', dataParallel: { zero: 3 } })));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const cfg = model.config;
  const H = cfg.nEmbd;
  const perLayer = 2 * H + (3 * H * H + 3 * H) + (H * H + H) + 2 * H + (H * 4 * H + 4 * H) + (4 * H * H + H);
  // units: the layers, wpe and ln_f (FSDP shards the modules outside the layers too); wte, tied
  // to the head, stays whole (ZeRO-1: 2 + 4 whole, 12/dp). All even: the shards divide exactly.
  const units = L * perLayer + cfg.nPositions * H + 2 * H;
  const tied = cfg.vocab * H;
  assert.equal(units + tied, PSI);
  assert.equal(persistent(r), 6 * tied + (12 * tied) / 2 + (18 * units) / 2);
  const at = (label: string, phase: string) => r.collectives.filter((c) => c.label === label && c.phase === phase && c.ranks.includes(0));
  const params = L * 12 + 3; // per GPT-2 block: ln_1, c_attn, c_proj, ln_2, c_fc, c_proj — weight and bias each; wpe; ln_f weight and bias
  assert.equal(at('zero3_param_all_gather', 'forward').length, params);
  assert.equal(at('zero3_param_all_gather.backward', 'backward').length, params);
  assert.equal(at('zero_layer_grad_reduce_scatter', 'backward').length, params);
  assert.equal(at('zero3_param_all_gather', 'forward').reduce((a, c) => a + c.bytes, 0), 2 * units, 'bf16 weights, each gathered whole');
  assert.equal(at('zero_layer_grad_reduce_scatter', 'backward').reduce((a, c) => a + c.elements, 0), units);
});

test('ZeRO-3 with full recomputation: the gather of the recomputation serves the backward (no second backward gather)', async () => {
  const r = await runSimulation(simulation(base({ mesh: { dp: 2 }, input: { batch: 4, seq: 8 }, optimizer: 'adam', dataParallel: { zero: 3 }, recompute: 'full' })));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const count = (label: string, phase: string) => r.collectives.filter((c) => c.label === label && c.phase === phase && c.ranks.includes(0)).length;
  // 24 layer weights and biases, recomputed; wpe and ln_f (3) are units too, not recomputed: gathered again in the backward
  assert.equal(count('zero3_param_all_gather', 'forward'), 27);
  assert.equal(count('zero3_param_all_gather', 'recompute'), 24);
  assert.equal(count('zero3_param_all_gather.backward', 'backward'), 3);
  assert.equal(count('zero_layer_grad_reduce_scatter', 'backward'), 27);
});

test('ZeRO-3 frees the whole weights of each layer after its forward: the activation peak does not grow by one layer of weights per layer', async () => {
  const H = 256;
  const layerWeights = 2 * (12 * H * H + 13 * H); // bf16 bytes of one GPT-2 block
  const peak = async (nLayer: number) => {
    const r = await runSimulation(simulation(base({ mesh: { dp: 2 }, model: gpt2({ nLayer, nEmbd: H, nHead: 4, vocab: 64, nPositions: 16 }), input: { batch: 2, seq: 8 }, optimizer: 'adam', dataParallel: { zero: 3 } })));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    return r.memory.perRank[0].peakTransientBytes;
  };
  const [four, eight] = [await peak(4), await peak(8)];
  // four more layers add exactly their activations (flash, no dropout, bf16: 32sbh + 4asb each,
  // s = 8, b = 1, a = 4), not their weights
  const [s, b, a] = [8, 1, 4];
  assert.equal(eight - four, 4 * (32 * s * b * H + 4 * a * s * b), `4 → 8 layers; one layer's weights are ${layerWeights} bytes`);
  assert.ok(four < 3 * layerWeights, `peak ${four}: about one layer's gathered weights and their gradient, not all layers'`);
});

test('ZeRO-2, dp = 2 (meta): the layers keep whole weights but half their gradients and states; each micro-batch reduce-scatters its weight gradients in the backward, the step all-gathers the updated weights', async () => {
  const r = await runSimulation(simulation(base({ mesh: { dp: 2 }, input: { batch: 8, seq: 8, microbatches: 2 }, optimizer: 'adam', dataParallel: { zero: 2 } })));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const H = model.config.nEmbd;
  const perLayer = 2 * H + (3 * H * H + 3 * H) + (H * H + H) + 2 * H + (H * 4 * H + 4 * H) + (4 * H * H + H);
  const units = 2 * perLayer + model.config.nPositions * H + 2 * H; // the layers, wpe, ln_f
  const tied = PSI - units; // wte, tied to the head: ZeRO-1 (2 + 4 whole, 12/dp)
  // the units: 2 whole, (4 + 12)/dp
  assert.equal(persistent(r), 6 * tied + (12 * tied) / 2 + 2 * units + (16 * units) / 2);
  const at = (label: string, phase: string) => r.collectives.filter((c) => c.label === label && c.phase === phase && c.ranks.includes(0));
  assert.equal(at('zero_layer_grad_reduce_scatter', 'backward').length, (2 * 12 + 3) * 2, '(2 layers × 12 weights + wpe + ln_f) × 2 micro-batches');
  assert.equal(at('zero3_param_all_gather', 'forward').length, 0, 'no weight gathers before the layers');
  const gathered = at('zero_param_all_gather', 'optimizer').reduce((a, c) => a + c.elements, 0);
  assert.equal(gathered, PSI, 'every updated weight gathered once (the layers per weight, the rest per bucket)');
});
