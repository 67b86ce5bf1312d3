import { layerNorm, rmsNorm } from '../../core/ops/index.js';
import type { Tensor } from '../../core/tensor.js';
import { BIAS_INIT, GAIN_INIT, type Params } from '../weights.js';
import { Module } from './module.js';

/** LayerNorm over the last dim: (x − μ)/√(σ² + ε)·γ + β.  x [..., H] → [..., H] */
export class LayerNorm extends Module {
  weight: Tensor; // [H]
  bias: Tensor | null; // [H]
  readonly eps: number;

  constructor(p: Params, hidden: number, eps = 1e-5, bias = true) {
    super();
    this.weight = p.get('weight', [hidden], GAIN_INIT);
    this.bias = bias ? p.get('bias', [hidden], BIAS_INIT) : null;
    this.eps = eps;
  }

  async forward(x: Tensor): Promise<Tensor> {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** RMSNorm over the last dim (Llama): x/√(mean(x²) + ε)·γ.  x [..., H] → [..., H] */
export class RMSNorm extends Module {
  weight: Tensor; // [H]
  readonly eps: number;

  constructor(p: Params, hidden: number, eps = 1e-6) {
    super();
    this.weight = p.get('weight', [hidden], GAIN_INIT);
    this.eps = eps;
  }

  async forward(x: Tensor): Promise<Tensor> {
    return rmsNorm(x, this.weight, this.eps);
  }
}
