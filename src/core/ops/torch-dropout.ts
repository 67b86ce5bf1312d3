import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, Rng } from '../rng.js';
import type { Tensor } from '../tensor.js';
import { shapeError } from './check.js';

/**
 * F.dropout: a seeded bool mask, saved for backward (1 byte per element, as Korthikanti et al.
 * count it).
 */

/**
 * F.dropout(x, p, training): zero each element with probability p and scale the rest by
 * 1/(1 − p); identity when not training or p = 0. The mask is drawn from a seed as ctx.randn
 * (`seed`, default the run's, and `key`: give each call its own key, e.g. a call counter, as
 * PyTorch's generator advances). It is a bool tensor (1 byte per element, as Korthikanti et al.
 * count it) that backward keeps alive: dx = mask · dy / (1 − p).
 */
export function dropout(x: Tensor, p: number, training = true, opts: { seed?: number; key?: string; mask?: Tensor } = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw shapeError(x, `dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  // a mask drawn by the caller (torch's generator: bernoulli(1 − p) per element)
  if (opts.mask) return applyMask('dropout', x, opts.mask, p === 1 ? 0 : 1 / (1 - p));
  const ctx = x.ctx;
  const seed = deriveSeed(deriveSeed(opts.seed ?? ctx.world.seed, opts.key ?? ''), 'dropout');
  const n = x.size;
  const mask = ctx.tensor(() => {
    const r = new Rng(seed);
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) keep[i] = r.uniform() >= p ? 1 : 0;
    return keep;
  }, x.shape, 'bool', `dropout:${seed}:${p}`);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  return applyMask('dropout', x, mask, scale);
}

/** x · mask · scale; backward the same of dy (reads only the mask). */
function applyMask(name: string, x: Tensor, mask: Tensor, scale: number): Tensor {
  return x.ctx.apply({
    name,
    inputs: [x, mask],
    shape: x.shape,
    dtype: x.dtype,
    flops: 2 * x.size,
    key: String(scale),
    saves: [mask],
    compute: () => tf.tidy(() => tf.mul(x.data!, tf.mul(tf.cast(mask.data!, 'float32'), scale))),
    backward: (dy) => [applyMask(`${name}_grad`, dy, mask, scale), null],
  });
}
