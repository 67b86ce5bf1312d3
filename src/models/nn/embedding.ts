import { embedding } from '../../core/ops/index.js';
import type { Tensor } from '../../core/tensor.js';
import { normal, type Params } from '../weights.js';
import { Module } from './module.js';

/** Token embedding: ids [B, S] (int32) → [B, S, H] from a table [V, H]. */
export class Embedding extends Module {
  weight: Tensor; // [V, H]

  constructor(weight: Tensor) {
    super();
    this.weight = weight;
  }

  static create(p: Params, vocab: number, hidden: number, std = 0.02): Embedding {
    return new Embedding(p.get('weight', [vocab, hidden], normal(std)));
  }

  async forward(ids: Tensor): Promise<Tensor> {
    return embedding(this.weight, ids); // [B, S, H]
  }
}
