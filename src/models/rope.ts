import { add, concat, mul, narrow, neg, reshape } from '../core/ops/index.js';
import type { RankContext } from '../core/context.js';
import { ConfigError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { headCount } from './attention.js';

/**
 * Rotary position embedding (RoFormer; Llama, HF `rotate_half` convention). Per head, with
 * x = [x₁ | x₂] split into halves of hd/2 and position p:
 *   θ_i = base^(−2i/hd),  c = cos(p·θ), s = sin(p·θ) (each repeated: [c | c], [s | s])
 *   rope(x) = x ⊙ [c | c] + [−x₂ | x₁] ⊙ [s | s]
 * so the pair (x₁[i], x₂[i]) is rotated by the angle p·θ_i. Built from differentiable ops with
 * constant cos/sin tables, so the backward is the transposed rotation.
 */

/** HF `rope_scaling` variants that change θ for every sequence length. */
export type RopeScaling =
  | { readonly type: 'linear'; readonly factor: number }
  | { readonly type: 'llama3'; readonly factor: number; readonly lowFreqFactor: number; readonly highFreqFactor: number; readonly originalMaxPositions: number };

/** The hd/2 inverse frequencies θ_i = base^(−2i/hd), with HF's scaling rules applied. */
export function ropeInvFreq(headDim: number, base = 10000, scaling: RopeScaling | null = null): Float64Array {
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2 !== 0) throw new ConfigError(`RoPE needs an even head dim, got ${headDim}`, 'choose hidden / nHead (or headDim) even');
  if (!(base > 0)) throw new ConfigError(`rope_theta must be positive, got ${base}`);
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(base, (2 * i) / headDim);
  if (!scaling) return inv;
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  // Llama 3.1: long wavelengths slowed by `factor`, short ones kept, a smooth blend between.
  const { factor, lowFreqFactor: lo, highFreqFactor: hi, originalMaxPositions: old } = scaling;
  const lowWavelen = old / lo;
  const highWavelen = old / hi;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / factor;
    const smooth = (old / wavelen - lo) / (hi - lo);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** cos and sin tables for positions 0 … S−1, each [S, 1, hd] (broadcast over heads). */
export function ropeTables(ctx: RankContext, seq: number, invFreq: Float64Array): { cos: Tensor; sin: Tensor } {
  const half = invFreq.length;
  const hd = 2 * half;
  const fill = (f: (a: number) => number) => () => {
    const out = new Float32Array(seq * hd);
    for (let p = 0; p < seq; p++) {
      for (let i = 0; i < half; i++) {
        const v = f(p * invFreq[i]);
        out[p * hd + i] = v;
        out[p * hd + half + i] = v;
      }
    }
    return out;
  };
  return {
    cos: ctx.tensor(fill(Math.cos), [seq, 1, hd]), // [S, 1, hd]
    sin: ctx.tensor(fill(Math.sin), [seq, 1, hd]), // [S, 1, hd]
  };
}

/** rope(x) for x [B, S, n·hd] with tables [S, 1, hd]; n (local heads) is width / hd. */
export function applyRope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const hd = cos.shape[2];
  const n = headCount(x, hd, 'RoPE input');
  const [b, s] = x.shape;
  const half = hd / 2;
  const x4 = reshape(x, [b, s, n, hd]); // [B, S, nh, hd]
  const x1 = narrow(x4, 3, 0, half); // [B, S, nh, hd/2]
  const x2 = narrow(x4, 3, half, half); // [B, S, nh, hd/2]
  const rot = concat([neg(x2), x1], 3); // [B, S, nh, hd]
  const y = add(mul(x4, cos), mul(rot, sin)); // [B, S, nh, hd]
  return reshape(y, [b, s, n * hd]); // [B, S, nh·hd]
}

/**
 * A model's rotary embedding: θ fixed at construction, cos/sin tables made once per sequence
 * length. Not a Module (it has no parameters); a model builds one and its attention layers share it.
 * Like the model, an instance lives on one rank.
 */
export class Rope {
  readonly headDim: number;
  readonly invFreq: Float64Array;
  private readonly tables = new Map<number, { ctx: RankContext; cos: Tensor; sin: Tensor }>();

  constructor(headDim: number, base = 10000, scaling: RopeScaling | null = null) {
    this.headDim = headDim;
    this.invFreq = ropeInvFreq(headDim, base, scaling);
  }

  /** rope(x), x [B, S, n·hd] → [B, S, n·hd]. */
  apply(x: Tensor): Tensor {
    const seq = x.shape[1];
    let t = this.tables.get(seq);
    if (!t || t.ctx !== x.ctx) {
      t = { ctx: x.ctx, ...ropeTables(x.ctx, seq, this.invFreq) };
      this.tables.set(seq, t);
    }
    return applyRope(x, t.cos, t.sin);
  }
}
