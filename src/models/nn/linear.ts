import { add, matmul } from '../../core/ops/index.js';
import type { Tensor } from '../../core/tensor.js';
import { BIAS_INIT, normal, type Params } from '../weights.js';
import { Module } from './module.js';

/**
 * y = x·W + b with W stored [in, out] (as in seed 003's W1 ∈ ℝ^{d×4d} and GPT-2's Conv1D).
 *   x [..., in] → y [..., out]
 */
export class Linear extends Module {
  weight: Tensor; // [in, out]
  bias: Tensor | null; // [out]
  /** The output stacks this many equal blocks (GPT-2's c_attn: 3 = q|k|v); tensor parallelism splits each block. */
  fused?: number;

  constructor(weight: Tensor, bias: Tensor | null = null) {
    super();
    this.weight = weight;
    this.bias = bias;
  }

  static create(p: Params, inFeatures: number, outFeatures: number, opts: { bias?: boolean; std?: number } = {}): Linear {
    const w = p.get('weight', [inFeatures, outFeatures], normal(opts.std ?? 0.02));
    const b = opts.bias === false ? null : p.get('bias', [outFeatures], BIAS_INIT);
    return new Linear(w, b);
  }

  get inFeatures(): number {
    return this.weight.shape[0];
  }

  get outFeatures(): number {
    return this.weight.shape[1];
  }

  async forward(x: Tensor): Promise<Tensor> {
    const y = matmul(x, this.weight); // [..., out]
    return this.bias ? add(y, this.bias) : y;
  }
}
