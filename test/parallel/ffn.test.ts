import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ColumnParallelLinear, RowParallelLinear, runSimulation, simulation } from '../../src/parallel/index.js';
import { ffn } from '../../src/models/ffn.js';
import { Module } from '../../src/models/nn/module.js';
import { add, matmul } from '../../src/core/ops/index.js';
import type { Tensor } from '../../src/core/tensor.js';
import type { Model } from '../../src/models/model.js';
import { useBackend } from '../helpers/backend.js';
import { lineOf } from '../helpers/lines.js';

before(async () => {
  await useBackend();
});

const THIS = __filename;

function megatronFfn(hidden: number, tp: number, batch = 2, seq = 8, mode: 'numeric' | 'meta' = 'numeric') {
  return simulation({
    mesh: { tp },
    mode,
    model: ffn({ hidden }),
    input: { batch, seq },
    parallelize(model: Model, { tp, weights }) {
      const m = model as unknown as { fc1: Module; fc2: Module };
      m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false }); // @fc1
      m.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true }); // @fc2
    },
  });
}

describe('seed-003 FFN, tensor parallel', () => {
  test('TP=4 verifies against the unsharded model, forward and backward', async () => {
    const r = await runSimulation(megatronFfn(64, 4));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    assert.equal(r.verification.passed, true, JSON.stringify(r.verification.firstDivergence));
    assert.equal(r.exitCode, 0);
    const names = r.verification.grads.map((g) => g.name);
    for (const n of ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'd(input of fc1)', 'd(input of fc2)']) assert.ok(names.includes(n), n);
    assert.ok(r.verification.grads.every((g) => g.passed));
    assert.ok(r.verification.outputs.every((o) => o.passed));
  });

  test('one forward all-reduce (from fc2) and one backward all-reduce of dX (from fc1), nothing else', async () => {
    const r = await runSimulation(megatronFfn(64, 4));
    const cs = r.collectives.map((c) => [c.phase, c.op, c.module].join(' '));
    assert.deepEqual(cs, ['forward all_reduce fc2', 'backward all_reduce fc1']);
    assert.equal(r.collectives[0].source?.line, lineOf(THIS, '// @fc2'));
    assert.equal(r.collectives[1].source?.line, lineOf(THIS, '// @fc1'));
  });

  test('seed-003 sizes (B=8, S=128, d=1024, P=4) in meta mode: the ledger figures of the seed', async () => {
    const r = await runSimulation(megatronFfn(1024, 4, 8, 128, 'meta'));
    assert.equal(r.errors.length, 0);
    assert.equal(r.collectives.length, 2);
    for (const c of r.collectives) {
      assert.equal(c.op, 'all_reduce');
      assert.equal(c.elements, 1_048_576);
      assert.equal(c.bytes, 4_194_304);
      assert.equal(c.sentBytesPerRank, 6_291_456); // 1,572,864 floats
      assert.equal(c.wireBytes, 25_165_824); // 6,291,456 floats
      assert.equal(c.steps, 6);
    }
    const w1 = r.shards.filter((s) => s.module === 'fc1' && s.param === 'weight');
    assert.equal(w1.length, 4);
    for (const s of w1) {
      assert.deepEqual(s.globalShape, [1024, 4096]);
      assert.deepEqual(s.localShape, [1024, 1024]);
      assert.equal(s.placement, 'Shard(1)');
    }
    const w2 = r.shards.filter((s) => s.module === 'fc2' && s.param === 'weight');
    for (const s of w2) {
      assert.deepEqual(s.localShape, [1024, 1024]);
      assert.equal(s.placement, 'Shard(0)');
    }
    const outs = r.modules.filter((m) => m.module === 'fc1');
    for (const m of outs) assert.deepEqual(m.outputShape, [8, 128, 1024]);
  });
});

/** The person's own row-parallel layer with the bias added before the all-reduce. */
class BiasFirstRow extends Module {
  constructor(
    public weight: Tensor,
    public bias: Tensor,
  ) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const y = add(matmul(x, this.weight), this.bias); // @bias-bug
    return x.ctx.comm.allReduce(y, { axis: 'tp' });
  }
}

/** The person's own row-parallel layer that forgets the all-reduce. */
class NoReduceRow extends Module {
  constructor(public weight: Tensor) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    return matmul(x, this.weight); // @no-reduce
  }
}

/** The person's own column-parallel layer without Megatron's f (no all-reduce of dX). */
class NoFColumn extends Module {
  constructor(public weight: Tensor) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    return matmul(x, this.weight);
  }
}

/** The seed's wording: gather the column outputs along the batch dim. */
class GatherBatchColumn extends Module {
  constructor(public weight: Tensor) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const y = matmul(x.ctx.comm.copyToGroup(x, { axis: 'tp' }), this.weight);
    return x.ctx.comm.allGather(y, { axis: 'tp', dim: 0 }); // @gather-batch
  }
}

describe('deliberately wrong layers are caught at the right line', () => {
  test('bias added before the all-reduce: output = reference + (P−1)·bias, reported at the add', async () => {
    const spec = simulation({
      mesh: { tp: 4 },
      model: ffn({ hidden: 32 }),
      input: { batch: 2, seq: 4 },
      parallelize(model: Model, { tp, weights }) {
        const m = model as unknown as { fc1: Module; fc2: Module };
        m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
        const w2 = weights.fc2.split(0, tp);
        m.fc2 = new BiasFirstRow(w2.weight, w2.bias!);
      },
    });
    const r = await runSimulation(spec);
    assert.equal(r.exitCode, 1);
    const d = r.verification.firstDivergence!;
    assert.equal(d.where, 'fc2');
    assert.match(d.message, /bias is added on each of 4 ranks/);
    assert.equal(d.source?.line, lineOf(THIS, '// @bias-bug'));
    assert.equal(d.source?.file, THIS);
  });

  test('missing all-reduce after a row-parallel layer: partial sums, reported at the matmul', async () => {
    const spec = simulation({
      mesh: { tp: 2 },
      model: ffn({ hidden: 32, bias: false }),
      input: { batch: 2, seq: 4 },
      parallelize(model: Model, { tp, weights }) {
        const m = model as unknown as { fc1: Module; fc2: Module };
        m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
        m.fc2 = new NoReduceRow(weights.fc2.split(0, tp).weight);
      },
    });
    const r = await runSimulation(spec);
    assert.equal(r.exitCode, 1);
    const d = r.verification.firstDivergence!;
    assert.equal(d.where, 'fc2');
    assert.match(d.message, /partial sum/);
    assert.equal(d.source?.line, lineOf(THIS, '// @no-reduce'));
  });

  test('column layer without f: outputs right, dX wrong — the backward divergence names fc1', async () => {
    const spec = simulation({
      mesh: { tp: 2 },
      model: ffn({ hidden: 32, bias: false }),
      input: { batch: 2, seq: 4 },
      parallelize(model: Model, { tp, weights }) {
        const m = model as unknown as { fc1: Module; fc2: Module };
        m.fc1 = new NoFColumn(weights.fc1.split(1, tp).weight); // @nof
        m.fc2 = new RowParallelLinear(weights.fc2.split(0, tp));
      },
    });
    const r = await runSimulation(spec);
    assert.equal(r.exitCode, 1);
    assert.ok(r.verification.outputs.every((o) => o.passed), 'forward is right');
    const d = r.verification.firstDivergence!;
    assert.equal(d.kind, 'input-grad');
    assert.match(d.where, /fc1/);
    assert.match(d.message, /copyToRegion/);
    assert.equal(d.source?.line, lineOf(THIS, '// @nof'));
    assert.equal(r.collectives.filter((c) => c.phase === 'backward').length, 0);
  });

  test('column outputs gathered along the batch dim (the seed wording): shape report at the gather', async () => {
    const spec = simulation({
      mesh: { tp: 2 },
      model: ffn({ hidden: 32, bias: false }),
      input: { batch: 2, seq: 4 },
      parallelize(model: Model, { tp, weights }) {
        const m = model as unknown as { fc1: Module; fc2: Module };
        m.fc1 = new GatherBatchColumn(weights.fc1.split(1, tp).weight);
        m.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: false });
      },
    });
    const r = await runSimulation(spec);
    assert.notEqual(r.exitCode, 0);
    const d = r.verification.firstDivergence!;
    assert.equal(d.where, 'fc1');
    assert.match(d.message, /concatenated along dim 0 \(batch\)/);
    assert.match(d.message, /gather along dim 2/);
    assert.equal(d.source?.line, lineOf(THIS, '// @gather-batch'));
  });

  test('a weight that does not divide: error names the weight, the sizes and the line', async () => {
    const spec = simulation({
      mesh: { tp: 3 },
      model: ffn({ hidden: 32 }),
      input: { batch: 2, seq: 4 },
      parallelize(model: Model, { tp, weights }) {
        (model as unknown as { fc1: Module }).fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp)); // @indivisible
      },
    });
    const r = await runSimulation(spec);
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    assert.match(e.message, /fc1\.weight/);
    assert.match(e.message, /128 is not divisible by 3/);
    assert.equal(e.source?.line, lineOf(THIS, '// @indivisible'));
  });
});
