import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../helpers/backend.js';
import { ops, simulate } from '../../../src/core/index.js';
import { run1 } from './harness.js';

before(async () => {
  await useBackend();
});

describe('dropout', () => {
  test('drops about p of the elements, scales the rest by 1/(1 − p); gradient is mask · dy/(1 − p)', async () => {
    const n = 4000;
    const r = await run1(async (ctx) => {
      const x = ctx.param(ctx.tensor(Array.from({ length: n }, (_, i) => 1 + (i % 7)), [n]));
      const y = ops.torchDropout(x, 0.25, true, { key: 'd0' });
      await ctx.backward(ops.sum(y));
      return { x: Array.from(await x.values()), y: Array.from(await y.values()), g: Array.from(await x.grad!.values()) };
    });
    const kept = r.y.map((v) => v !== 0);
    const frac = 1 - kept.filter(Boolean).length / n;
    assert.ok(Math.abs(frac - 0.25) < 0.03, `dropped ${frac}`);
    r.y.forEach((v, i) => assert.ok(v === 0 || Math.abs(v - r.x[i] / 0.75) < 1e-5, `y[${i}] = ${v}`));
    r.g.forEach((v, i) => assert.ok(Math.abs(v - (kept[i] ? 1 / 0.75 : 0)) < 1e-6, `g[${i}] = ${v}`));
  });

  test('identity when not training or p = 0; p = 1 gives zeros; deterministic per seed and key', async () => {
    const r = await run1(async (ctx) => {
      const x = ctx.randn([64]);
      const a = Array.from(await ops.torchDropout(x, 0.5, true, { key: 'k' }).values());
      const b = Array.from(await ops.torchDropout(x, 0.5, true, { key: 'k' }).values());
      const c = Array.from(await ops.torchDropout(x, 0.5, true, { key: 'other' }).values());
      return { same: ops.torchDropout(x, 0.5, false) === x && ops.torchDropout(x, 0) === x, ab: a.join() === b.join(), ac: a.join() === c.join(), ones: Array.from(await ops.torchDropout(x, 1).values()).every((v) => v === 0) };
    });
    assert.deepEqual(r, { same: true, ab: true, ac: false, ones: true });
  });

  test('memory: the 1-byte mask stays alive for backward, the input does not', async () => {
    // meta mode. After the forward, a 2 MiB temporary (a [2¹⁸] fp32 leaf and its scaled copy)
    // sets the peak; live beside it: w and w.grad (4096 B each, pinned for the whole run) and the
    // dropout mask (1024 B: saved for backward). Dropout's input and output and the loss are dead
    // by then (nothing saves them; the loss is only backward's root).
    const peak = async (p: number) => {
      const res = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, async (ctx) => {
        const w = ctx.param(ctx.zeros([1024]), 'w');
        const z = ops.sum(ops.torchDropout(ops.scale(w, 1), p, true));
        ops.scale(ctx.zeros([2 ** 18]), 2);
        await ctx.backward(z);
      });
      assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
      return res.memory[0].peakBytes;
    };
    assert.equal(await peak(0.1), 2 * 2 ** 20 + 2 * 4096 + 1024);
    assert.equal(await peak(0), 2 * 2 ** 20 + 2 * 4096, 'p = 0: no mask');
  });
});
