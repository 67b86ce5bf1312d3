import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backend.js';
import { simulate, ops, type LedgerEntry, type RankProgram, type SimOptions, type SimResult, type TraceEvent } from '../../src/core/index.js';

/**
 * The same program gives the same run: ledger, trace and values are reproducible, meta mode
 * records what numeric mode records, and every TensorFlow.js tensor is freed afterwards.
 */

before(async () => {
  await useBackend();
});

const H = 8;
const F = 24;

/**
 * A tensor-parallel MLP step on {dp:2, tp:2}: f (copyToGroup), column/row-parallel matmuls, g
 * (all-reduce), backward, a dp gradient all-reduce in phase "optimizer", and a send along dp.
 */
const step: RankProgram = async (rank) => {
  const tp = rank.axisSize('tp');
  const t = rank.coord('tp');
  const x = rank.randn([2, 3, H], { key: `x/dp${rank.coord('dp')}`, requiresGrad: true }); // [B, S, H]
  const w1 = rank.param(rank.randn([H, F / tp], { key: `w1/${t}`, std: 0.3 }), 'w1'); // [H, F/tp]
  const w2 = rank.param(rank.randn([F / tp, H], { key: `w2/${t}`, std: 0.3 }), 'w2'); // [F/tp, H]
  const xc = rank.comm.copyToGroup(x, { axis: 'tp' }); // [B, S, H]
  const h = ops.gelu(ops.matmul(xc, w1)); // [B, S, F/tp]
  const y = await rank.comm.allReduce(ops.matmul(h, w2), { axis: 'tp' }); // [B, S, H]
  const loss = ops.mean(ops.square(y)); // []
  await rank.backward(loss);
  await rank.withPhase('optimizer', async () => {
    for (const p of [w1, w2]) await rank.comm.allReduce(p.grad!, { axis: 'dp', op: 'avg' });
  });
  if (rank.coord('dp') === 0) await rank.comm.send(y, rank.rank + tp);
  else await rank.comm.recv(y, rank.rank - tp);
  if (rank.mode === 'meta') return null;
  return {
    loss: Array.from(await loss.values()),
    y: Array.from(await y.values()),
    dx: Array.from(await x.grad!.values()),
    dw1: Array.from(await w1.grad!.values()),
  };
};

async function run(opts: Partial<SimOptions> = {}, program: RankProgram = step): Promise<SimResult> {
  const res = await simulate({ mesh: { dp: 2, tp: 2 }, ...opts }, program);
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return res;
}

/** What a ledger entry says about the traffic, without where in the source it came from. */
function traffic(e: LedgerEntry) {
  const { source: _source, ...rest } = e;
  return rest;
}

function noSource(t: TraceEvent) {
  const { source: _source, ...rest } = t;
  return rest;
}

describe('reproducible runs', () => {
  test('two identical numeric runs: identical ledgers, traces, values, clocks and memory', async () => {
    const a = await run();
    const b = await run();
    assert.equal(a.ledger.length, 10);
    assert.equal(JSON.stringify(a.ledger), JSON.stringify(b.ledger));
    assert.ok(a.trace.length > 50);
    assert.equal(JSON.stringify(a.trace), JSON.stringify(b.trace));
    assert.deepEqual(a.returns, b.returns);
    assert.deepEqual(a.clocks, b.clocks);
    assert.deepEqual(a.flops, b.flops);
    assert.deepEqual(a.memory, b.memory);
  });

  test('the ledger of the step holds what the program issued', async () => {
    const a = await run();
    const key = (e: LedgerEntry) => `${e.op} ${e.group} ${e.phase} [${e.shape.join(',')}]`;
    assert.deepEqual(a.ledger.map(key).sort(), [
      'all_reduce dp[0,2] optimizer [12,8]', // dW2 [F/tp, H]
      'all_reduce dp[0,2] optimizer [8,12]', // dW1 [H, F/tp]
      'all_reduce dp[1,3] optimizer [12,8]',
      'all_reduce dp[1,3] optimizer [8,12]',
      'all_reduce tp[0,1] backward [2,3,8]', // f: dX
      'all_reduce tp[0,1] forward [2,3,8]', // g: Y
      'all_reduce tp[2,3] backward [2,3,8]',
      'all_reduce tp[2,3] forward [2,3,8]',
      'send_recv p2p[0->2] forward [2,3,8]',
      'send_recv p2p[1->3] forward [2,3,8]',
    ]);
    assert.deepEqual(a.ledger.map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('a different seed changes the values but not the traffic', async () => {
    const a = await run();
    const c = await run({ seed: 7 });
    assert.notDeepEqual(a.returns, c.returns);
    assert.deepEqual(a.ledger.map(traffic), c.ledger.map(traffic));
  });

  test('a meta run records the same ledger and timeline as the numeric run', async () => {
    const numeric = await run();
    const meta = await run({ mode: 'meta' });
    assert.equal(meta.mode, 'meta');
    assert.deepEqual(meta.returns, [null, null, null, null]);
    assert.deepEqual(
      meta.ledger.map((e) => [e.op, e.elements, e.bytes, e.phase]),
      numeric.ledger.map((e) => [e.op, e.elements, e.bytes, e.phase]),
    );
    assert.deepEqual(meta.ledger.map(traffic), numeric.ledger.map(traffic));
    // the collective call sites are captured in both modes
    assert.ok(numeric.ledger.filter((e) => e.phase === 'forward').every((e) => e.source?.line));
    assert.deepEqual(
      meta.ledger.map((e) => e.source?.line),
      numeric.ledger.map((e) => e.source?.line),
    );
    assert.deepEqual(meta.trace.map(noSource), numeric.trace.map(noSource));
    assert.deepEqual(meta.clocks, numeric.clocks);
    assert.deepEqual(meta.flops, numeric.flops);
    assert.deepEqual(meta.memory, numeric.memory);
  });
});

describe('TensorFlow.js memory returns to its baseline', () => {
  /** Every op of the library, forward and backward, and every collective. */
  const everything: RankProgram = async (rank) => {
    const p = (shape: number[], key: string) => rank.param(rank.randn(shape, { key, std: 0.5 }), key);
    const x = p([2, 4, 6], 'x'); // [B, S, H]
    const g = p([6], 'g');
    const b = p([6], 'b');
    const table = p([10, 6], 'table'); // [V, H]
    const ids = rank.randint([2, 4], 10, { key: 'ids' }); // [B, S]
    let h = ops.add(x, ops.embedding(table, ids));
    h = ops.layerNorm(h, g, b);
    h = ops.rmsNorm(ops.silu(h), g);
    h = ops.mul(ops.gelu(h), ops.tanh(h));
    h = ops.div(ops.sub(h, ops.sigmoid(h)), ops.addScalar(ops.exp(ops.scale(h, 0.1)), 1));
    h = ops.relu(ops.sqrt(ops.addScalar(ops.square(h), 1)));
    h = ops.concat(ops.split(h, -1, 2), -1);
    const scores = ops.causalMask(ops.matmul(h, ops.transpose(h, [0, 2, 1]))); // [B, S, S]
    const att = ops.matmul(ops.softmax(scores), h); // [B, S, H]
    const m = await rank.comm.allReduce(att, { axis: 'tp', op: 'max' });
    const gathered = await rank.comm.allGather(m, { axis: 'tp', dim: -1 }); // [B, S, H·tp]
    const rs = await rank.comm.reduceScatter(gathered, { axis: 'tp', dim: -1 }); // [B, S, H]
    const a2a = await rank.comm.allToAll(rs, { axis: 'tp', splitDim: 2, concatDim: 1 }); // [B, S·tp, H/tp]
    const logits = ops.reshape(ops.narrow(ops.reshape(a2a, [2, -1]), 1, 0, 10), [2, 10]); // [N, V]
    const loss = ops.add(ops.crossEntropy(logits, rank.randint([2], 10, { key: 't' })), ops.mean(ops.log(ops.addScalar(ops.square(ops.sum(x, [1, 2])), 1))));
    await rank.backward(loss);
    const bc = await rank.comm.broadcast(loss, { axis: 'tp', src: rank.mesh.axisGroup('tp', rank.rank).ranks[0] });
    await rank.comm.reduce(bc, { axis: 'tp', dst: rank.mesh.axisGroup('tp', rank.rank).ranks[1] });
    await rank.comm.barrier();
    return Array.from(await x.grad!.values()).length;
  };

  test('after a successful run that uses every op and every collective', async () => {
    await run({ mesh: { tp: 2 } }, everything); // warm up lazily created backend state
    const base = tf.memory().numTensors;
    const res = await run({ mesh: { tp: 2 } }, everything);
    assert.deepEqual(res.returns, [48, 48]);
    assert.equal(tf.memory().numTensors, base);
  });

  const failures: [string, RankProgram][] = [
    [
      'a collective mismatch',
      async (rank) => {
        const x = ops.matmul(rank.randn([3, 3]), rank.randn([3, 3]));
        await rank.comm.allReduce(x);
        await rank.comm.allReduce(x, { op: rank.rank === 0 ? 'sum' : 'min' });
      },
    ],
    [
      'a deadlock',
      async (rank) => {
        await rank.comm.allGather(rank.randn([4]));
        await rank.comm.recv({ shape: [4] }, 1 - rank.rank);
      },
    ],
    [
      'a user exception after a backward',
      async (rank) => {
        const w = rank.param(rank.randn([4, 4]));
        await rank.backward(ops.sum(ops.silu(ops.matmul(w, w))));
        if (rank.rank === 1) throw new Error('boom');
        await rank.comm.allReduce(w.grad!);
      },
    ],
    [
      'a p2p mismatch',
      async (rank) => {
        if (rank.rank === 0) await rank.comm.send(rank.randn([2, 2]), 1);
        else await rank.comm.recv({ shape: [4] }, 0);
      },
    ],
    [
      'an unreceived isend',
      (rank) => {
        if (rank.rank === 0) rank.comm.isend(rank.randn([2, 2]), 1);
      },
    ],
  ];
  for (const [name, program] of failures) {
    test(`after a failed run: ${name}`, async () => {
      const base = tf.memory().numTensors;
      const res = await simulate({ mesh: { tp: 2 } }, program);
      assert.equal(res.ok, false);
      assert.equal(tf.memory().numTensors, base);
    });
  }

  test('after a cancelled run', async () => {
    const base = tf.memory().numTensors;
    const ac = new AbortController();
    const res = await simulate({ mesh: { tp: 2 }, signal: ac.signal }, async (rank) => {
      rank.randn([8, 8]);
      if (rank.rank === 0) await rank.comm.recv({ shape: [1] }, 1);
      for (;;) {
        await new Promise((r) => setTimeout(r, 1));
        ops.exp(rank.randn([4]));
        if (!ac.signal.aborted) ac.abort();
      }
    });
    assert.equal(res.errors[0]?.kind, 'cancelled');
    assert.equal(tf.memory().numTensors, base);
  });
});
