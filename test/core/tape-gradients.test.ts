import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backend.js';
import { simulate, ops, replayGradients, tapeGradients, type RankContext, type Tensor } from '../../src/core/index.js';

/**
 * The verifier's reference gradients come from TensorFlow.js autodiff over tfjs's own tape of a
 * forward that ran once (tapeGradients); the older way re-runs the recorded forward inside
 * tf.grads (replayGradients). Both are checked against AutoDist's own backward, an independent
 * implementation (hand-written gradient rules), on a small GELU MLP with a layer norm — for the
 * leaves (weights, input) and for probes (intermediate tensors: dLoss/dProbe).
 */

before(async () => {
  await useBackend();
});

interface Net {
  readonly loss: Tensor;
  readonly leaves: Tensor[];
  /** Intermediate tensors whose gradients are asked for. */
  readonly probes: Tensor[];
}

async function net(ctx: RankContext): Promise<Net> {
  const x = ctx.randn([4, 6, 8], { key: 'x', requiresGrad: true }); // [B, S, d]
  const w1 = ctx.randn([8, 16], { key: 'w1', std: 0.3, requiresGrad: true }); // [d, 4d]
  const w2 = ctx.randn([16, 8], { key: 'w2', std: 0.3, requiresGrad: true }); // [4d, d]
  const g = ctx.randn([8], { key: 'g', requiresGrad: true });
  const b = ctx.randn([8], { key: 'b', requiresGrad: true });
  const unused = ctx.randn([3], { key: 'unused', requiresGrad: true });
  const t = ctx.randn([4, 6, 8], { key: 't' });
  const h = ops.layerNorm(x, g, b); // [B, S, d]
  const a = ops.gelu(ops.matmul(h, w1)); // [B, S, 4d]
  const z = ops.matmul(a, w2); // [B, S, d]
  const loss = ops.mean(ops.square(ops.sub(ops.add(z, x), t)));
  return { loss, leaves: [x, w1, w2, g, b, unused], probes: [h, a] };
}

function close(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  const a = actual.dataSync();
  const e = expected.dataSync();
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let scale = 0;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < e.length; i++) err = Math.max(err, Math.abs(a[i] - e[i]));
  assert.ok(err <= 1e-5 * Math.max(scale, 1e-3), `${what}: max |Δ| ${err} against max |ref| ${scale}`);
}

describe('reference gradients by TensorFlow.js autodiff', () => {
  test('over the tape of a forward that ran once: leaves and probes equal AutoDist backward and the replay', async () => {
    const r = await simulate({ mesh: {}, mode: 'numeric' }, async (ctx) => {
      // 1. AutoDist's own backward
      const own = await net(ctx);
      for (const p of own.probes) p.retainGrad = true;
      await ctx.backward(own.loss);
      const ownLeaves = own.leaves.map((l) => (l.grad ? l.grad.requireData() : tf.zerosLike(l.requireData())));
      const ownProbes = own.probes.map((p) => p.grad!.requireData());

      // 2. the tape
      let taped: Net | undefined;
      let forwards = 0;
      const g = await tapeGradients(
        async () => {
          forwards++;
          taped = await net(ctx);
          return taped.loss;
        },
        () => ({ leaves: taped!.leaves, probes: taped!.probes }),
      );
      assert.ok(g, 'this tfjs has a tape');
      assert.equal(forwards, 1, 'the forward runs once');
      assert.equal(tf.engine().state.gradientDepth, 0, 'the tape is off again');
      assert.equal(tf.engine().state.activeTape, null, 'the tape is released');
      own.leaves.forEach((_, i) => close(g!.leaves[i], ownLeaves[i], `tape leaf ${i}`));
      taped!.probes.forEach((p, i) => close(g!.probes.get(p.id)!, ownProbes[i], `tape probe ${i}`));
      assert.equal(g!.leaves[5].dataSync().every((v) => v === 0), true, 'an unused leaf gets zeros');
      assert.equal((await g!.loss.values())[0], (await own.loss.values())[0]);

      // 3. the replay
      ctx.replay = [];
      const re = await net(ctx);
      const rg = replayGradients(ctx.replay, re.leaves.slice(0, 5), re.loss, re.probes);
      ctx.replay = null;
      own.leaves.slice(0, 5).forEach((_, i) => close(rg.leaves[i], ownLeaves[i], `replay leaf ${i}`));
      re.probes.forEach((p, i) => close(rg.probes.get(p.id)!, ownProbes[i], `replay probe ${i}`));
    });
    assert.ok(r.ok, r.errors[0]?.message);
  });

  test('a forward that throws leaves the tape off', async () => {
    await simulate({ mesh: {}, mode: 'numeric' }, async (ctx) => {
      await assert.rejects(
        tapeGradients(
          async () => {
            const x = ctx.randn([2, 3]);
            ops.matmul(x, ctx.randn([4, 5])); // inner dims differ
            return x;
          },
          () => ({ leaves: [], probes: [] }),
        ),
        /inner dims differ/,
      );
      assert.equal(tf.engine().state.gradientDepth, 0);
      assert.equal(tf.engine().state.activeTape, null);
    });
  });
});
