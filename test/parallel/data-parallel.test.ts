import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, simulation, type Plan } from '../../src/parallel/index.js';
import { gpt2 } from '../../src/models/gpt2.js';
import { ffn } from '../../src/models/ffn.js';
import { useBackend } from '../helpers/backend.js';

before(async () => {
  await useBackend();
});

const PLAN: Plan = { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' };
const model = () => gpt2({ nLayer: 2, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 });

describe('data parallelism', () => {
  test('dp=2 × tp=2, DDP buckets: one all-reduce per bucket, gradients match the whole-batch model', async () => {
    const r = await runSimulation(simulation({ mesh: { dp: 2, tp: 2 }, model: model(), input: { batch: 4, seq: 8 }, plan: PLAN }));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    const sync = r.collectives.filter((c) => c.label === 'dp_grad_sync');
    // every rank's gradients (well under 25 MiB) fit one bucket: one all-reduce per dp group (2 tp ranks → 2 groups)
    assert.equal(sync.length, 2);
    for (const c of sync) {
      assert.equal(c.phase, 'optimizer');
      assert.equal(c.axis, 'dp');
      assert.equal(c.reduceOp, 'avg');
    }
    // the bucket holds exactly this rank's gradient elements
    const local = r.shards.filter((s) => s.rank === 0).reduce((a, s) => a + s.localShape.reduce((p, d) => p * d, 1), 0);
    assert.equal(sync.find((c) => c.ranks.includes(0))!.elements, local);
  });

  test('dp=1,000 FFN: verified, and its loss agrees with the whole-batch model to 1e-6 (the reference sums 64,000 squared errors in float64)', async () => {
    // (dp=10,000 with hidden 8 verifies too, through the CLI: 90 s and 0.9 GB on 2 busy cores, too slow for the suite)
    const r = await runSimulation(simulation({ mesh: { dp: 1000 }, model: ffn({ hidden: 64 }), input: { batch: 1000, seq: 1 } }));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    const loss = r.verification.outputs.find((o) => o.kind === 'loss')!;
    assert.ok(loss.maxRel < 1e-6, `the loss is off by ${loss.maxRel} relative`);
    assert.equal(r.collectives.filter((c) => c.label === 'dp_grad_sync').length, 1, 'one bucket, one all-reduce over the 1,000 ranks');
  });

  test('bucketMB: 0 gives one all-reduce per parameter', async () => {
    const r = await runSimulation(simulation({ mesh: { dp: 2 }, model: ffn({ hidden: 16 }), input: { batch: 4, seq: 4 }, dataParallel: { bucketMB: 0 } }));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    assert.equal(r.collectives.filter((c) => c.label === 'dp_grad_sync').length, 4); // fc1.w, fc1.b, fc2.w, fc2.b
  });

  for (const zero of [1, 2] as const) {
    test(`ZeRO-${zero}: reduce-scatter of the gradients and all-gather of the parameter shards, still verified`, async () => {
      const r = await runSimulation(simulation({ mesh: { dp: 2 }, model: ffn({ hidden: 16 }), input: { batch: 4, seq: 4 }, dataParallel: { zero } }));
      assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
      assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
      const rs = r.collectives.filter((c) => c.label === 'zero_grad_reduce_scatter');
      const ag = r.collectives.filter((c) => c.label === 'zero_param_all_gather');
      assert.equal(rs.length, 1);
      assert.equal(ag.length, 1);
      // 2·16·64 + 64 + 16 = 2128 gradient elements: each replica reduce-scatters all, keeps 1064
      assert.equal(rs[0].elements, 2128);
      assert.equal(rs[0].sentBytesPerRank, (2128 / 2) * 4);
      assert.equal(ag[0].elements, 2128);
      assert.equal(r.collectives.filter((c) => c.op === 'all_reduce').length, 0);
    });
  }
});
