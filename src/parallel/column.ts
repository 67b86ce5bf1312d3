import { add } from '../core/ops/index.js';
import { shapeError } from '../core/ops/check.js';
import type { Tensor } from '../core/tensor.js';
import { Module } from '../models/nn/module.js';
import { columnMatmul } from './column-matmul.js';
import { copyToRegion, gatherFromRegion } from './mappings.js';
import { sequenceGatheredMatmul } from './sequence-gathered-matmul.js';
import type { LinearShard } from './shard-weights.js';

export interface ColumnParallelOptions {
  /** All-gather Y along its last dim so every rank holds the whole output (default false). */
  readonly gatherOutput?: boolean;
  /** Bias shard [out/tp], when the first argument is a bare weight tensor. */
  readonly bias?: Tensor | null;
  /** Mesh axis the columns are split over (default "tp"). */
  readonly axis?: string;
  /** Megatron sequence parallelism: X arrives split along the sequence dim. */
  readonly sequenceParallel?: boolean;
  readonly sequenceDim?: number;
}

/**
 * Column-parallel linear layer (Megatron-LM ColumnParallelLinear).
 *
 *   Y = X·A + b,  A [in, out] split along dim 1 (columns) over tp ranks:
 *   rank i holds A_i [in, out/tp] and b_i [out/tp];  Y_i = X·A_i + b_i  [..., out/tp].
 *
 *   fwd: none — X is replicated, Y stays split along its last dim
 *        (all-gather of Y along the last dim if gatherOutput; all-gather of X along S if
 *        sequenceParallel).
 *   bwd: all-reduce of dX (Megatron's f: each rank's dX = dY_i·A_iᵀ is a partial sum)
 *        (with sequenceParallel: all-gather of X along S again, since only the shard is kept,
 *        then reduce-scatter of dX along S — ./sequence-gathered-matmul.ts).
 *        With the run's tpOverlap 'backward' (default), as Megatron: the all-reduce / reduce-scatter
 *        runs behind the dA GEMMs and the re-gather behind the dX GEMM (../core/async-grad.ts).
 */
export class ColumnParallelLinear extends Module {
  weight: Tensor; // [in, out/tp]
  bias: Tensor | null; // [out/tp]
  readonly gatherOutput: boolean;
  readonly axis: string;
  readonly sequenceParallel: boolean;
  readonly sequenceDim: number;

  constructor(w: LinearShard | Tensor, opts: ColumnParallelOptions = {}) {
    super();
    const shard = 'weight' in w && !('ctx' in w) ? (w as LinearShard) : { weight: w as Tensor, bias: opts.bias ?? null };
    this.weight = shard.weight;
    this.bias = shard.bias;
    this.gatherOutput = opts.gatherOutput ?? false;
    this.axis = opts.axis ?? 'tp';
    this.sequenceParallel = opts.sequenceParallel ?? false;
    this.sequenceDim = opts.sequenceDim ?? 1;
  }

  async forward(x: Tensor): Promise<Tensor> {
    const inDim = x.shape[x.ndim - 1];
    if (inDim !== this.weight.shape[0]) {
      const tp = x.ctx.axisSize(this.axis);
      // the input holds 1/tp of its features: the layer before left its output split (Col → Col)
      const splitInput = tp > 1 && inDim * tp === this.weight.shape[0];
      throw shapeError(x, `${this.path || 'ColumnParallelLinear'}: input [${x.shape.join(', ')}] has last dim ${inDim} but the weight shard is [${this.weight.shape.join(', ')}] (in = ${this.weight.shape[0]})`,
        splitInput
          ? `the input is still split into ${tp} parts along its last dim (a column-parallel output with gatherOutput: false): make this layer new RowParallelLinear(weights["…"].split(0, tp), { inputIsParallel: true }), or give the layer before it gatherOutput: true`
          : 'a column-parallel layer takes the whole input; split the weight along dim 1 (its columns), not dim 0');
    }
    let y = this.sequenceParallel
      ? await sequenceGatheredMatmul(x, this.weight, this.axis, this.sequenceDim) // [B, S, out/tp] from [B, S/tp, in]
      : columnMatmul(copyToRegion(x, this.axis), this.weight); // [B, S, out/tp]
    if (this.bias) y = add(y, this.bias); // [B, S, out/tp]
    return this.gatherOutput ? gatherFromRegion(y, this.axis, -1) : y; // [B, S, out] or [B, S, out/tp]
  }
}
