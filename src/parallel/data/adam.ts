import type { RankContext } from '../../core/context.js';
import { bytesOf, type DType } from '../../core/dtype.js';
import { ConfigError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';

/**
 * Adam with mixed precision, as Megatron-LM holds it (Korthikanti et al. 2022 §4 and
 * Rajbhandari et al. 2020 §3.1 count the same bytes), per parameter element on one GPU:
 *   weights        2 bytes (bf16 / fp16; the parameters as the model declares them)
 *   main gradients 4 bytes (fp32, accumulated over micro-batches; mainGrads: "param" keeps them
 *                  in the parameters' dtype, 2 bytes)
 *   fp32 master weights, first and second moments: 4 + 4 + 4 = 12 bytes
 * = 18 bytes/parameter with fp32 main gradients (Megatron's default with bf16), 16 with 16-bit
 * gradients (the ZeRO paper's 2 + 2 + K, K = 12). ZeRO-1 and -2 keep the 12 bytes of states
 * only for this rank's 1/dp of the parameters.
 *
 * The step (phase "optimizer") is one fused kernel per gradient bucket (or shard, with ZeRO):
 *   FLOPs 12 per element; HBM bytes: read the gradient, read and write master weights and both
 *   moments (24), write the 16-bit weights.
 * A simulation runs one step: the update's time and memory are simulated, the weights' values
 * are not changed (the verifier compares gradients).
 */
export interface AdamOptions {
  readonly type: 'adam';
  /** dtype of the accumulated gradients: "float32" (default, Megatron's main_grad) or "param". */
  readonly mainGrads?: 'float32' | 'param';
}

export type OptimizerOption = 'adam' | AdamOptions;

/** Check a spec's `optimizer` once, where the spec is checked. */
export function checkOptimizer(o: unknown): void {
  if (o === undefined || o === 'adam') return;
  const a = o as { type?: unknown; mainGrads?: unknown };
  if (typeof o === 'object' && o !== null && a.type === 'adam' && (a.mainGrads === undefined || a.mainGrads === 'float32' || a.mainGrads === 'param')) return;
  throw new ConfigError(`optimizer must be "adam" or { type: "adam", mainGrads: "float32" | "param" }, got ${JSON.stringify(o)}`,
    'use optimizer: "adam" (fp32 master weights and moments, fp32 main gradients: 18 bytes/parameter with bf16 weights)');
}

export function adamOptions(o: OptimizerOption): AdamOptions {
  return o === 'adam' ? { type: 'adam' } : o;
}

/** Adam FLOPs per element (moments, bias correction, update) and the states' bytes per element. */
const FLOPS_PER_ELEMENT = 12;
const STATE_BYTES = 4 + 4 + 4;

export class Adam {
  private readonly ctx: RankContext;
  private readonly gradDType: DType | null;

  /**
   * Allocate this rank's optimizer states (pinned: they live across steps) for `elements`
   * parameter elements (this rank's shard with ZeRO ≥ 1), and the fp32 main gradient buffers.
   */
  constructor(ctx: RankContext, params: readonly Tensor[], opts: AdamOptions, stateElements: number) {
    this.ctx = ctx;
    this.gradDType = (opts.mainGrads ?? 'float32') === 'float32' ? 'float32' : null;
    ctx.noGrad(() => {
      for (const name of ['master', 'exp_avg', 'exp_avg_sq']) {
        const s = ctx.zeros([stateElements], 'float32'); // [Ψ(/dp)]
        s.name = `adam.${name}`;
        ctx.memory.pin(s.memIndex);
      }
      if (this.gradDType) {
        // Megatron's main_grad: one fp32 buffer per parameter, from the start; backward adds into it
        for (const p of params) {
          if (p.dtype === this.gradDType || p.grad) continue;
          const g = ctx.zeros(p.shape, this.gradDType);
          ctx.memory.pin(g.memIndex);
          p.grad = g;
        }
      }
    });
  }

  /**
   * The update of `grad` (a flat bucket, or this rank's shard of one), returning the new weights
   * in `dtype`. Numeric mode carries the gradient's values in their place (see the class comment).
   */
  step(grad: Tensor, dtype: DType): Tensor {
    const ctx = this.ctx;
    const n = grad.size;
    return ctx.noGrad(() =>
      ctx.apply({
        name: 'adam_step',
        inputs: [grad],
        shape: grad.shape,
        dtype,
        flops: FLOPS_PER_ELEMENT * n,
        bytes: bytesOf(n, grad.dtype) + 2 * STATE_BYTES * n + bytesOf(n, dtype),
        compute: () => grad.data!,
      }),
    );
  }
}
