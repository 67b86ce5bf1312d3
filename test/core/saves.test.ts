import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, ops, type RankContext, type Tensor } from '../../src/core/index.js';
import { useBackend } from '../helpers/backend.js';

before(async () => {
  await useBackend();
});

/**
 * No op keeps for its backward what the backward does not read. Each op's tape node names the
 * tensors it keeps alive (`saved`; the inputs when unsaid), and the memory tracker keeps exactly
 * those until the backward runs: the expectations below are read off each op's gradient formula.
 */

/** The tensors an op's node keeps, by name. */
function kept(y: Tensor, names: Map<Tensor, string>): string[] {
  assert.ok(y.node, 'the op is on the tape');
  return (y.node.saved ?? y.node.inputs).map((t) => names.get(t) ?? '?');
}

async function onOneRank(fn: (ctx: RankContext) => Promise<void> | void, mesh: Record<string, number> = {}): Promise<void> {
  const res = await simulate({ mesh, mode: 'meta' }, async (ctx) => {
    await fn(ctx);
  });
  assert.equal(res.errors.length, 0, res.errors.map((e) => e.message).join('\n'));
}

test('views and shape ops keep nothing: reshape, transpose, narrow, concat, broadcast', () =>
  onOneRank((ctx) => {
    const x = ctx.randn([2, 4, 6], { requiresGrad: true });
    const names = new Map([[x, 'x']]);
    assert.deepEqual(kept(ops.reshape(x, [8, 6]), names), []);
    assert.deepEqual(kept(ops.transpose(x, [0, 2, 1]), names), []);
    assert.deepEqual(kept(ops.transposeLast(x), names), []);
    assert.deepEqual(kept(ops.narrow(x, 1, 1, 2), names), []);
    assert.deepEqual(kept(ops.concat([x, x], 0), names), []);
    assert.deepEqual(kept(ops.broadcastTo(ops.reshape(x, [1, 2, 4, 6]), [3, 2, 4, 6]), names), []);
    assert.deepEqual(kept(ops.add(x, x), names), []);
    assert.deepEqual(kept(ops.scale(x, 2), names), []);
    assert.deepEqual(kept(ops.sum(x, -1), names), []);
  }));

test('products keep the operand the needed gradient reads: x·W keeps x (and W), x ⊙ c with c constant keeps c only', () =>
  onOneRank((ctx) => {
    const x = ctx.randn([2, 4, 6], { requiresGrad: true });
    const w = ctx.param(ctx.randn([6, 3]), 'w');
    const c = ctx.randn([2, 4, 6]);
    const frozen = ctx.randn([6, 3]);
    const names = new Map<Tensor, string>([[x, 'x'], [w, 'w'], [c, 'c'], [frozen, 'frozen']]);
    assert.deepEqual(kept(ops.matmul(x, w), names), ['x', 'w']);
    assert.deepEqual(kept(ops.matmul(x, frozen), names), ['frozen']); // dX = dY·Wᵀ only
    assert.deepEqual(kept(ops.mul(x, c), names), ['c']); // dX = dY ⊙ c
    assert.deepEqual(kept(ops.mul(c, x), names), ['c']);
  }));

test('norms keep their input and weight (not the bias), an embedding its ids, x / c with c constant keeps c', () =>
  onOneRank((ctx) => {
    const x = ctx.randn([2, 4, 6], { requiresGrad: true });
    const g = ctx.param(ctx.randn([6]), 'g');
    const b = ctx.param(ctx.randn([6]), 'b');
    const table = ctx.param(ctx.randn([10, 6]), 'table');
    const ids = ctx.randint([2, 4], 10);
    const c = ctx.randn([2, 4, 6]);
    const names = new Map<Tensor, string>([[x, 'x'], [g, 'g'], [b, 'b'], [table, 'table'], [ids, 'ids'], [c, 'c']]);
    assert.deepEqual(kept(ops.layerNorm(x, g, b), names), ['x', 'g']);
    assert.deepEqual(kept(ops.rmsNorm(x, g), names), ['x', 'g']);
    assert.deepEqual(kept(ops.embedding(table, ids), names), ['ids']);
    assert.deepEqual(kept(ops.div(x, c), names), ['c']);
    assert.deepEqual(kept(ops.div(c, x), names), ['c', 'x']);
  }));

test('nonlinearities keep what their derivative reads: softmax its output, gelu its input', () =>
  onOneRank((ctx) => {
    const x = ctx.randn([2, 4, 6], { requiresGrad: true });
    const names = new Map<Tensor, string>([[x, 'x']]);
    const p = ops.softmax(x);
    names.set(p, 'p');
    assert.deepEqual(kept(p, names), ['p']);
    assert.deepEqual(kept(ops.gelu(x), names), ['x']);
    assert.deepEqual(kept(ops.causalMask(ops.reshape(x, [2, 1, 4, 6]).ctx.randn([1, 1, 4, 4], { requiresGrad: true })), names), []);
  }));

test('collectives keep nothing (their backward is another collective on dy); all-reduce max keeps input and output', () =>
  onOneRank(async (ctx) => {
    const x = ctx.randn([4, 6], { requiresGrad: true });
    const names = new Map<Tensor, string>([[x, 'x']]);
    assert.deepEqual(kept(await ctx.comm.allReduce(x, { axis: 'tp' }), names), []);
    assert.deepEqual(kept(await ctx.comm.allGather(x, { axis: 'tp' }), names), []);
    assert.deepEqual(kept(await ctx.comm.reduceScatter(x, { axis: 'tp' }), names), []);
    assert.deepEqual(kept(ctx.comm.copyToGroup(x, { axis: 'tp' }), names), []);
    const m = await ctx.comm.allReduce(x, { axis: 'tp', op: 'max' });
    names.set(m, 'm');
    assert.deepEqual(kept(m, names), ['x', 'm']);
  }, { tp: 2 }));

test('a view shares its input memory, so keeping the view keeps the input', () =>
  onOneRank((ctx) => {
    const x = ctx.randn([4, 8], { requiresGrad: true });
    for (const v of [ops.reshape(x, [32]), ops.narrow(x, 1, 2, 4), ops.transposeLast(x), ops.broadcastTo(x, [2, 4, 8])]) assert.equal(v.memIndex, x.memIndex);
    assert.notEqual(ops.transpose(x, [1, 0]).memIndex, x.memIndex); // a copy
  }));

test('FlashAttention keeps q, k, v, its output and the fp32 log-sum-exp [B, nh, S]; no S×S tensor', () =>
  onOneRank((ctx) => {
    const q = ctx.randn([2, 16, 4, 8], { requiresGrad: true, dtype: 'bfloat16' });
    const k = ctx.randn([2, 16, 2, 8], { requiresGrad: true, dtype: 'bfloat16' });
    const v = ctx.randn([2, 16, 2, 8], { requiresGrad: true, dtype: 'bfloat16' });
    const o = ops.scaledDotProductAttention(q, k, v);
    const names = new Map<Tensor, string>([[q, 'q'], [k, 'k'], [v, 'v'], [o, 'o']]);
    const saved = o.node!.saved!;
    assert.deepEqual(kept(o, names).slice(0, 4), ['q', 'k', 'v', 'o']);
    assert.deepEqual(saved[4].shape, [2, 4, 16]);
    assert.equal(saved[4].dtype, 'float32');
  }));

test('dropout keeps only its 1-byte mask', () =>
  onOneRank((ctx) => {
    const x = ctx.randn([4, 6], { requiresGrad: true, dtype: 'bfloat16' });
    const y = ops.dropout(x, 0.1);
    const saved = y.node!.saved!;
    assert.equal(saved.length, 1);
    assert.equal(saved[0].dtype, 'bool');
    assert.deepEqual(saved[0].shape, [4, 6]);
    assert.equal(ops.dropout(x, 0), x, 'p = 0 is the identity');
  }));

test('dropout in a numeric run is refused with a ConfigError that says what to do', async () => {
  const res = await simulate({ mesh: {}, mode: 'numeric' }, (ctx) => {
    ops.dropout(ctx.randn([4], { requiresGrad: true }), 0.1);
  });
  assert.equal(res.errors.length, 1);
  assert.match(res.errors[0].message, /meta mode only/);
  assert.match(res.errors[0].fix ?? '', /dropout to 0|mode: 'meta'/);
});
