import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ColumnParallelLinear, RowParallelLinear, runSimulation, simulation, type Plan } from '../../src/parallel/index.js';
import { gpt2 } from '../../src/models/gpt2.js';
import type { Model } from '../../src/models/model.js';
import { useBackend } from '../helpers/backend.js';
import { lineOf } from '../helpers/lines.js';

before(async () => {
  await useBackend();
});

const THIS = __filename;
const small = () => gpt2({ nLayer: 2, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 });

const PLAN: Plan = {
  'h.*.attn.c_attn': 'colwise',
  'h.*.attn.c_proj': 'rowwise',
  'h.*.mlp.c_fc': 'colwise',
  'h.*.mlp.c_proj': 'rowwise',
};

describe('GPT-2 tensor parallel', () => {
  for (const tp of [2, 4]) {
    test(`plan, TP=${tp}: verified, and the ledger has one fwd + one bwd all-reduce per row/column pair`, async () => {
      const r = await runSimulation(simulation({ mesh: { tp }, model: small(), input: { batch: 2, seq: 8 }, plan: PLAN }));
      assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
      assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
      const fwd = r.collectives.filter((c) => c.phase === 'forward');
      const bwd = r.collectives.filter((c) => c.phase === 'backward');
      // 2 layers × (attn c_proj + mlp c_proj) forward all-reduces; 2 × (c_attn + c_fc) backward dX all-reduces
      assert.deepEqual(fwd.map((c) => c.module), ['h.0.attn.c_proj', 'h.0.mlp.c_proj', 'h.1.attn.c_proj', 'h.1.mlp.c_proj']);
      assert.deepEqual(bwd.map((c) => c.module), ['h.1.mlp.c_fc', 'h.1.attn.c_attn', 'h.0.mlp.c_fc', 'h.0.attn.c_attn']);
      for (const c of [...fwd, ...bwd]) assert.equal(c.bytes, 2 * 8 * 32 * 4); // [B, S, H] fp32
      const qkv = r.shards.filter((s) => s.module === 'h.0.attn.c_attn' && s.param === 'weight');
      assert.equal(qkv.length, tp);
      for (const s of qkv) assert.deepEqual(s.localShape, [32, 96 / tp]);
    });
  }

  test('by hand, seed Problem 4 style: replace modules by name on every rank', async () => {
    const r = await runSimulation(
      simulation({
        mesh: { tp: 2 },
        model: small(),
        input: { batch: 2, seq: 8 },
        parallelize(model: Model, { tp, weights }) {
          for (const [name] of model.namedModules()) {
            if (name.endsWith('attn.c_attn')) model.set(name, new ColumnParallelLinear(weights[name].splitFused(3, tp)));
            else if (name.endsWith('attn.c_proj')) model.set(name, new RowParallelLinear(weights[name].split(0, tp)));
            else if (name.endsWith('mlp.c_fc')) model.set(name, new ColumnParallelLinear(weights[name].split(1, tp)));
            else if (name.endsWith('mlp.c_proj')) model.set(name, new RowParallelLinear(weights[name].split(0, tp)));
          }
        },
      }),
    );
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
  });

  test('naive column split of the fused QKV weight is flagged through wrong numbers', async () => {
    const r = await runSimulation(
      simulation({
        mesh: { tp: 2 },
        model: small(),
        input: { batch: 2, seq: 8 },
        parallelize(model: Model, { tp, weights }) {
          for (const [name] of model.namedModules()) {
            if (name.endsWith('attn.c_attn')) model.set(name, new ColumnParallelLinear(weights[name].split(1, tp))); // @naive-qkv
            else if (name.endsWith('attn.c_proj')) model.set(name, new RowParallelLinear(weights[name].split(0, tp)));
          }
        },
      }),
    );
    assert.equal(r.exitCode, 1);
    const d = r.verification.firstDivergence!;
    assert.equal(d.where, 'h.0.attn.c_proj'); // the first module output after the attention core
    assert.match(d.message, /splitFused\(3, tp\)/);
    assert.equal(d.source?.line, lineOf(THIS, '// @naive-qkv'));
    // the c_attn output itself is a correct (contiguous) shard of x·W; attention mixes the wrong blocks
    assert.equal(r.verification.outputs.find((o) => o.name === 'h.0.attn.c_attn')?.passed, true);
    assert.equal(r.shards.find((s) => s.module === 'h.0.attn.c_attn')?.source?.line, lineOf(THIS, '// @naive-qkv'));
  });

  test('a plan pattern that matches nothing names close module names', async () => {
    const r = await runSimulation(simulation({ mesh: { tp: 2 }, model: small(), input: { batch: 2, seq: 8 }, plan: { 'h.*.attn.qkv': 'colwise' } }));
    assert.equal(r.exitCode, 2);
    assert.match(r.errors[0].message, /matches no module/);
    assert.match(r.errors[0].message, /h\.0\.attn/);
  });

  test('a plan style on a module that is not linear is refused with the fix', async () => {
    const r = await runSimulation(simulation({ mesh: { tp: 2 }, model: small(), input: { batch: 2, seq: 8 }, plan: { 'h.*.ln_1': 'colwise' } }));
    assert.equal(r.exitCode, 2);
    assert.match(r.errors[0].message, /cannot apply "colwise" to h\.0\.ln_1, a LayerNorm/);
  });

  test('vocab-parallel embedding and tied head with vocab-parallel cross-entropy', async () => {
    const r = await runSimulation(simulation({ mesh: { tp: 2 }, model: small(), input: { batch: 2, seq: 8 }, plan: { ...PLAN, wte: 'vocab', lm_head: 'colwise' } }));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    const labels = r.collectives.map((c) => c.label ?? c.op);
    assert.equal(labels.filter((l) => l.startsWith('vocab_parallel_ce')).length, 3);
    const wte = r.shards.filter((s) => s.module === 'wte');
    assert.deepEqual(wte[0].localShape, [32, 32]);
  });
});
