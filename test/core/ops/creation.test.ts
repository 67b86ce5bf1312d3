import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops, simulate, Rng, deriveSeed } from '../../../src/core/index.js';
import { run1, runError } from './harness.js';

before(async () => {
  await useBackend();
});

describe('factories on a rank', () => {
  test('arange: integer ranges are int64, fractional float32; negative steps; empty', async () => {
    const r = await run1(async (ctx) => {
      const xs = [ops.arange(ctx, 0, 5), ops.arange(ctx, 1, 2, 0.25), ops.arange(ctx, 5, 0, -2), ops.arange(ctx, 3, 3), ops.arange(ctx, 0, 3, 1, 'float32')];
      return Promise.all(xs.map(async (x) => ({ v: Array.from(await x.values()), s: x.shape, d: x.dtype })));
    });
    assert.deepEqual(r, [
      { v: [0, 1, 2, 3, 4], s: [5], d: 'int64' },
      { v: [1, 1.25, 1.5, 1.75], s: [4], d: 'float32' },
      { v: [5, 3, 1], s: [3], d: 'int64' },
      { v: [], s: [0], d: 'int64' },
      { v: [0, 1, 2], s: [3], d: 'float32' },
    ]);
    assert.match(await runError((ctx) => ops.arange(ctx, 0, 5, -1)), /inconsistent with step -1/);
  });

  test('full and eye: values, dtype from the value; meta mode keeps shapes only', async () => {
    const r = await run1(async (ctx) => {
      const xs = [ops.full(ctx, [2, 2], 1.5), ops.full(ctx, [3], 7), ops.full(ctx, [2], true), ops.eye(ctx, 2, 3), ops.full(ctx, [2], -Infinity, 'bfloat16')];
      return Promise.all(xs.map(async (x) => ({ v: Array.from(await x.values()), d: x.dtype })));
    });
    assert.deepEqual(r, [
      { v: [1.5, 1.5, 1.5, 1.5], d: 'float32' },
      { v: [7, 7, 7], d: 'int64' },
      { v: [1, 1], d: 'bool' },
      { v: [1, 0, 0, 0, 1, 0], d: 'float32' },
      { v: [-Infinity, -Infinity], d: 'bfloat16' },
    ]);
    const m = await run1((ctx) => {
      const xs = [ops.full(ctx, [4, 5], 0.5), ops.arange(ctx, 0, 10, 3), ops.eye(ctx, 3), ops.rand(ctx, [2, 3]), ops.randint(ctx, 0, 5, [7])];
      return xs.map((x) => ({ s: x.shape, meta: x.isMeta, d: x.dtype }));
    }, 'meta');
    assert.deepEqual(m, [
      { s: [4, 5], meta: true, d: 'float32' },
      { s: [4], meta: true, d: 'int64' },
      { s: [3, 3], meta: true, d: 'float32' },
      { s: [2, 3], meta: true, d: 'float32' },
      { s: [7], meta: true, d: 'int64' },
    ]);
  });

  test('rand: uniform [0, 1), deterministic from the seed and key, independent of randn', async () => {
    const draw = (seed: number) =>
      simulate({ mesh: { dp: 2 }, seed }, async (ctx) => ({
        a: Array.from(await ops.rand(ctx, [1000]).values()),
        b: Array.from(await ops.rand(ctx, [4], { key: 'other' }).values()),
        n: Array.from(await ctx.randn([4]).values()),
      }));
    const r1 = await draw(5);
    const r2 = await draw(5);
    const r3 = await draw(6);
    const a = (r1.returns[0] as { a: number[] }).a;
    assert.deepEqual(r1.returns, r2.returns, 'same seed, same values');
    assert.deepEqual(r1.returns[0], r1.returns[1], 'the same on every rank');
    assert.notDeepEqual((r3.returns[0] as { a: number[] }).a, a, 'another seed, other values');
    assert.notDeepEqual((r1.returns[0] as { b: number[] }).b, a.slice(0, 4), 'another key, another stream');
    assert.ok(a.every((v) => v >= 0 && v < 1));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
    // the stream is the project's generator (rng.ts), drawn from the derived seed
    const want = new Rng(deriveSeed(deriveSeed(5, ''), 'uniform')).fillUniform(new Float32Array(3));
    assert.deepEqual(a.slice(0, 3), Array.from(want));
  });

  test('randint(low, high): in [low, high), every value hit, int64, deterministic', async () => {
    const v = await run1(async (ctx) => {
      const x = ops.randint(ctx, -2, 3, [500], { seed: 1 });
      const y = ops.randint(ctx, -2, 3, [500], { seed: 1 });
      return { x: Array.from(await x.values()), y: Array.from(await y.values()), d: x.dtype };
    });
    assert.deepEqual(v.x, v.y);
    assert.equal(v.d, 'int64');
    assert.deepEqual([...new Set(v.x)].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
    assert.match(await runError((ctx) => ops.randint(ctx, 3, 3, [2])), /not a non-empty integer range/);
  });
});
