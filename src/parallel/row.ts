import { add, matmul } from '../core/ops/index.js';
import { shapeError } from '../core/ops/check.js';
import type { Tensor } from '../core/tensor.js';
import { Module } from '../models/nn/module.js';
import { copyToRegion, reduceFromRegion, reduceScatterToSequenceRegion, scatterToRegion } from './mappings.js';
import type { LinearShard } from './shard-weights.js';

export interface RowParallelOptions {
  /** X already arrives split along its last dim (the output of a column-parallel layer); default true. */
  readonly inputIsParallel?: boolean;
  /** The whole bias [out], when the first argument is a bare weight tensor. */
  readonly bias?: Tensor | null;
  readonly axis?: string;
  /** Megatron sequence parallelism: reduce-scatter Y along the sequence dim instead of all-reduce. */
  readonly sequenceParallel?: boolean;
  readonly sequenceDim?: number;
}

/**
 * Row-parallel linear layer (Megatron-LM RowParallelLinear).
 *
 *   Y = X·A + b,  A [in, out] split along dim 0 (rows) over tp ranks:
 *   rank i holds A_i [in/tp, out]; X_i [..., in/tp];  Y = Σ_i X_i·A_i + b.
 *   The bias is whole and added once, after the sum — adding it before would count it tp times.
 *
 *   fwd: all-reduce of the partial products (Megatron's g) — reduce-scatter along S with
 *        sequenceParallel; if !inputIsParallel, X is first split along its last dim (no comm).
 *   bwd: none for dX (g's backward is the identity; dX_i = dY·A_iᵀ is exactly this rank's part)
 *        (all-gather of dY along S with sequenceParallel, and an all-reduce of the bias gradient,
 *        which each rank only has for its own rows).
 */
export class RowParallelLinear extends Module {
  weight: Tensor; // [in/tp, out]
  bias: Tensor | null; // [out]
  readonly inputIsParallel: boolean;
  readonly axis: string;
  readonly sequenceParallel: boolean;
  readonly sequenceDim: number;

  constructor(w: LinearShard | Tensor, opts: RowParallelOptions = {}) {
    super();
    const shard = 'weight' in w && !('ctx' in w) ? (w as LinearShard) : { weight: w as Tensor, bias: opts.bias ?? null };
    this.weight = shard.weight;
    this.bias = shard.bias;
    this.inputIsParallel = opts.inputIsParallel ?? true;
    this.axis = opts.axis ?? 'tp';
    this.sequenceParallel = opts.sequenceParallel ?? false;
    this.sequenceDim = opts.sequenceDim ?? 1;
  }

  async forward(x: Tensor): Promise<Tensor> {
    const xi = this.inputIsParallel ? x : await scatterToRegion(x, this.axis, -1); // [B, S, in/tp]
    if (xi.shape[xi.ndim - 1] !== this.weight.shape[0]) {
      throw shapeError(xi, `${this.path || 'RowParallelLinear'}: input [${xi.shape.join(', ')}] has last dim ${xi.shape[xi.ndim - 1]} but the weight shard is [${this.weight.shape.join(', ')}] (in/tp = ${this.weight.shape[0]})`,
        this.inputIsParallel
          ? 'feed it the split output of a column-parallel layer, or set inputIsParallel: false'
          : x.shape[x.ndim - 1] === this.weight.shape[0]
            // the input already holds in/tp features: the layer before split it (or gathered it along another dim)
            ? `the input's last dim is already split (${x.shape[x.ndim - 1]} = in/tp): set inputIsParallel: true, or gather the layer before along its last dim (dim -1)`
            : 'split the weight along dim 0 (its rows)');
    }
    const partial = matmul(xi, this.weight); // [B, S, out], a partial sum on each rank
    const y = this.sequenceParallel
      ? await reduceScatterToSequenceRegion(partial, this.axis, this.sequenceDim) // [B, S/tp, out]
      : await reduceFromRegion(partial, this.axis); // [B, S, out]
    if (!this.bias) return y;
    // with SP each rank adds the bias to its own S rows: the bias gradients are partial sums (f)
    return add(y, this.sequenceParallel ? copyToRegion(this.bias, this.axis) : this.bias); // [B, S(/tp), out]
  }
}
