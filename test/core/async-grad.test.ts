/**
 * Megatron's TP overlap in the backward (src/core/async-grad.ts): the dX collective of the
 * column-parallel layers reading one input runs on the tp stream behind their weight-gradient
 * GEMMs, SP's re-gather behind their dX GEMMs. Timing against a hand derivation from the cost
 * functions; values identical with and without overlap; the same collectives in the same order.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, type SimResult } from '../../src/core/simulate.js';
import type { RankContext } from '../../src/core/context.js';
import { add, mul, sum } from '../../src/core/ops/index.js';
import { collectiveTimeUs, gemmTimeUs, getHardware, roofline, type CollectiveOp } from '../../src/core/cost/index.js';
import { ColumnParallelLinear } from '../../src/parallel/column.js';
import { useBackend } from '../helpers/backend.js';

before(async () => {
  await useBackend();
});

const hw = getHardware('h100');
const [S, H, N] = [4096, 4096, 4096]; // tokens, input features, output features per rank
const tp = 2;

/** Two column-parallel layers (like k and v) reading one input X [1, S(/tp), H]; backward from y1 + y2, timed. */
async function twoColumns(sequenceParallel: boolean, tpOverlap: 'none' | 'backward'): Promise<{ res: SimResult }> {
  const res = await simulate({ mesh: { tp }, mode: 'meta', hardware: hw, tpOverlap }, async (ctx: RankContext) => {
    const x = ctx.randn([1, sequenceParallel ? S / tp : S, H], { dtype: 'bfloat16', requiresGrad: true }); // [B, S(/tp), H]
    const col = (key: string) => new ColumnParallelLinear(ctx.param(ctx.randn([H, N], { key, dtype: 'bfloat16' })), { sequenceParallel });
    const [c1, c2] = [col('w1'), col('w2')];
    const y = add(await c1.call(x), await c2.call(x)); // [1, S, N]
    await ctx.backward(y, ctx.ones(y.shape, 'bfloat16'));
  });
  assert.equal(res.errors.length, 0, res.errors.map((e) => e.message).join('\n'));
  return { res };
}

const gemm = (m: number, k: number, n: number) => gemmTimeUs({ batch: 1, m, k, n }, 'bfloat16', hw);
const coll = (op: CollectiveOp) => collectiveTimeUs({ op, algorithm: 'ring', ranks: [0, 1], bytes: S * H * 2, hw, gpusPerNode: 8 }).timeUs;
const dx = gemm(S, N, H); // dY [S, N] · Wᵀ [N, H]
const dw = gemm(H, S, N); // Xᵀ [H, S] · dY [S, N]
const sumDx = roofline(S * H, 3 * S * H * 2, 'bfloat16', hw); // the two layers' partial dX added on the junction (read 2, write 1)

/** The backward's length on rank 0: from the first backward op to the rank's end. */
function backwardUs(r: { res: SimResult }): number {
  const first = r.res.trace.filter((e) => e.rank === 0 && e.phase === 'backward').reduce((a, e) => Math.min(a, e.startUs), Infinity);
  return r.res.clocks[0] - first;
}

test('SP column-parallel backward, overlapped: the re-gather hides behind the dX GEMMs, the reduce-scatter behind the held dW GEMMs (hand-derived from the cost functions)', async () => {
  const ag = coll('all_gather');
  const rs = coll('reduce_scatter');
  // second layer first (the engine's reverse order): re-gather starts on the tp stream, dX₂, dX₁,
  // their sum; wait for the re-gather; reduce-scatter on the stream beside dW₂, dW₁; wait
  const start = Math.max(ag, 2 * dx + sumDx);
  const overlapped = start + Math.max(rs, 2 * dw);
  const blocking = ag + 2 * dx + 2 * dw + sumDx + rs;
  const on = await twoColumns(true, 'backward');
  const off = await twoColumns(true, 'none');
  assert.ok(Math.abs(backwardUs(on) - overlapped) < 1e-6 * overlapped, `overlapped ${backwardUs(on)} µs, expected ${overlapped}`);
  assert.ok(Math.abs(backwardUs(off) - blocking) < 1e-6 * blocking, `blocking ${backwardUs(off)} µs, expected ${blocking}`);
  assert.ok(overlapped < blocking - Math.min(ag, 2 * dx) - Math.min(rs, 2 * dw) + 1e-6);
  // the trace: the two collectives on the stream (not busy), beside the GEMMs; one wait at most per collective
  const streamed = on.res.trace.filter((e) => e.rank === 0 && e.phase === 'backward' && e.kind === 'comm').map((e) => `${e.name}${(e.tag ?? '').includes('@stream') ? '@stream' : ''}`);
  assert.deepEqual(streamed, ['all_gather@stream', 'reduce_scatter@stream']);
  // the same collectives in the same order on every rank, overlapped or not
  const order = (r: SimResult) => r.ledger.map((e) => `${e.op}:${e.label}:${e.phase}`);
  assert.deepEqual(order(on.res), order(off.res));
});

test('column-parallel backward without SP, overlapped: the all-reduce of the summed dX hides behind the held dW GEMMs (hand-derived)', async () => {
  const ar = coll('all_reduce');
  const overlapped = 2 * dx + sumDx + Math.max(ar, 2 * dw);
  const blocking = 2 * dx + 2 * dw + sumDx + ar;
  const on = await twoColumns(false, 'backward');
  const off = await twoColumns(false, 'none');
  assert.ok(Math.abs(backwardUs(on) - overlapped) < 1e-6 * overlapped, `overlapped ${backwardUs(on)} µs, expected ${overlapped}`);
  assert.ok(Math.abs(backwardUs(off) - blocking) < 1e-6 * blocking, `blocking ${backwardUs(off)} µs, expected ${blocking}`);
  const order = (r: SimResult) => r.ledger.map((e) => `${e.op}:${e.label}:${e.phase}`);
  assert.deepEqual(order(on.res), order(off.res));
  assert.deepEqual(order(on.res), ['all_reduce:copy_to_region.backward:backward']);
});

/** Numeric: two column layers (SP or not) reading one input, then a row layer; every gradient's values on every rank. */
async function gradients(sequenceParallel: boolean, tpOverlap: 'none' | 'backward'): Promise<{ grads: number[][][]; ledger: string[] }> {
  const [s, h, n] = [8, 6, 4];
  const res = await simulate({ mesh: { tp }, mode: 'numeric', tpOverlap }, async (ctx: RankContext) => {
    const x = ctx.randn([2, sequenceParallel ? s / tp : s, h], { key: 'x', requiresGrad: true }); // [B, S(/tp), H]
    const w = (key: string) => ctx.param(ctx.randn([h, n], { key: `${key}.${ctx.coord('tp')}` }));
    const layers = ['q', 'k', 'v'].map((k) => new ColumnParallelLinear(w(k), { sequenceParallel }));
    const ys = [];
    for (const l of layers) ys.push(await l.call(x)); // [B, S, N/tp] each
    const y = mul(add(ys[0], ys[1]), ys[2]); // [B, S, N/tp]
    await ctx.backward(sum(y));
    return [x, ...layers.map((l) => l.weight)].map((t) => Array.from(t.grad!.valuesSync()));
  });
  assert.equal(res.errors.length, 0, res.errors.map((e) => e.message).join('\n'));
  return { grads: res.returns as number[][][], ledger: res.ledger.map((e) => `${e.ranks.join(',')} ${e.op}:${e.label}:${e.phase}`) };
}

for (const sp of [false, true]) {
  test(`numeric${sp ? ', SP' : ''}: the gradients of the input and of every weight are bit-identical with and without TP overlap, the ledger the same`, async () => {
    const on = await gradients(sp, 'backward');
    const off = await gradients(sp, 'none');
    assert.equal(on.grads.length, tp);
    assert.deepEqual(on.grads, off.grads);
    assert.ok(on.grads[0][0].some((v) => v !== 0));
    assert.deepEqual(on.ledger, off.ledger);
  });
}
