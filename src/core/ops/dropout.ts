import { bytesOf } from '../dtype.js';
import { ConfigError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/**
 * Dropout with probability p, as Megatron's fused kernels run it: y = x ⊙ m / (1 − p), m a
 * Bernoulli(1 − p) mask kept for the backward as 1 byte per element (Korthikanti et al. 2022
 * count it so). Backward: dx = dy ⊙ m / (1 − p), reading only the mask.
 * Meta mode only: a numeric run compares with the unsharded model, which a random mask would
 * break — train-mode numbers are not modelled, so numeric runs take p = 0.
 */
export function dropout(x: Tensor, p: number): Tensor {
  if (p === 0) return x;
  const ctx = x.ctx;
  if (!(p > 0 && p < 1)) throw new ConfigError(`dropout probability must be in [0, 1), got ${p}`, 'use e.g. dropout: 0.1');
  if (ctx.mode === 'numeric') {
    throw new ConfigError(`dropout (p = ${p}) is modelled in meta mode only (its mask's bytes and time): a numeric run is compared with the unsharded model`, "set the model's dropout to 0 for numeric runs, or run with mode: 'meta'");
  }
  let mask: Tensor | null = null;
  const y: Tensor = ctx.apply({
    name: 'dropout',
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: 2 * x.size,
    bytes: 2 * bytesOf(x.size, x.dtype) + x.size, // read x, write y and the 1-byte mask
    compute: () => {
      throw new Error('internal: dropout has no numeric kernel');
    },
    backward: (dy) => [
      ctx.apply({
        name: 'dropout_grad',
        inputs: [dy, mask!],
        shape: dy.shape,
        dtype: dy.dtype,
        flops: 2 * dy.size,
        compute: () => {
          throw new Error('internal: dropout has no numeric kernel');
        },
      }),
    ],
  });
  mask = ctx.aux(x.shape, 'bool'); // [same], 1 byte per element
  if (y.node) y.node = { ...y.node, saved: [mask] };
  return y;
}
