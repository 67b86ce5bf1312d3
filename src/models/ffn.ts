import { gelu } from '../core/ops/index.js';
import type { RankContext } from '../core/context.js';
import { ConfigError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { Model, memo, moduleLayer, paramsOf, type Batch, type BatchShape, type ModelSpec } from './model.js';
import { Linear } from './nn/linear.js';
import type { Module } from './nn/module.js';
import type { Params } from './weights.js';

export interface FfnConfig {
  /** d: model width. */
  readonly hidden: number;
  /** Inner width, default 4d. */
  readonly ffnHidden?: number;
  readonly bias?: boolean;
}

/**
 * The Transformer FFN of seed 003:
 *   X [B, S, d] → fc1: W1 [d, 4d] → GeLU → fc2: W2 [4d, d] → Z [B, S, d]
 */
export class FFN extends Model {
  fc1: Module;
  fc2: Module;

  constructor(p: Params, cfg: Required<FfnConfig>) {
    super();
    this.fc1 = Linear.create(p.scope('fc1'), cfg.hidden, cfg.ffnHidden, { bias: cfg.bias });
    this.fc2 = Linear.create(p.scope('fc2'), cfg.ffnHidden, cfg.hidden, { bias: cfg.bias });
  }

  async forward(x: Tensor): Promise<Tensor> {
    const h = await this.fc1.call(x); // [B, S, 4d] (or [B, S, 4d/tp] when column-parallel)
    const a = gelu(h); // same shape
    return this.fc2.call(a); // [B, S, d]
  }
}

export function ffn(cfg: FfnConfig): ModelSpec<Required<FfnConfig>, FFN> & { hfTensorLayout(name: string): 'transpose' | 'as-is' } {
  if (!Number.isInteger(cfg.hidden) || cfg.hidden < 1) throw new ConfigError(`ffn hidden must be a positive integer, got ${cfg.hidden}`, 'give a whole number ≥ 1, e.g. models.ffn({ hidden: 64 })');
  const c: Required<FfnConfig> = { hidden: cfg.hidden, ffnHidden: cfg.ffnHidden ?? 4 * cfg.hidden, bias: cfg.bias ?? true };
  return {
    name: 'ffn',
    config: c,
    build: (p) => new FFN(p, c),
    batch(ctx: RankContext, s: BatchShape, seed: number): Batch {
      return {
        input: ctx.randn([s.batch, s.seq, c.hidden], { seed, key: 'input' }), // [B, S, d]
        target: ctx.randn([s.batch, s.seq, c.hidden], { seed, key: 'target' }), // [B, S, d]
      };
    },
    loss: 'mse',
    layerPaths: () => ['fc1', 'fc2'],
    sequential: (model) => {
      const m = model as FFN;
      return {
        blocks: [
          { name: 'fc1', get kind() { return m.fc1.kind; }, run: async (x) => gelu(await m.fc1.call(x)), parameters: memo(() => paramsOf(m.fc1)) }, // [B, S, 4d(/tp)]
          moduleLayer('fc2', () => m.fc2), // [B, S, d]
        ],
      };
    },
    paramCount: () => 2 * c.hidden * c.ffnHidden + (c.bias ? c.hidden + c.ffnHidden : 0),
    // fc1 and fc2 are nn.Linear in PyTorch: a torch state dict holds their weights [out, in]
    hfTensorLayout: (name: string) => (name.endsWith('.weight') ? 'transpose' : 'as-is'),
  };
}
