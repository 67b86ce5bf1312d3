import { crossEntropy, mean, reshape, square, sub } from '../../core/ops/index.js';
import { shapeError } from '../../core/ops/check.js';
import type { Tensor } from '../../core/tensor.js';
import type { LossKind } from '../../models/model.js';
import { vocabParallelCrossEntropy } from '../vocab.js';

/**
 * The training loss of a run, the same on every rank that holds the output:
 *   mse            mean((Z − T)²)                                  Z, T [B, S, H]
 *   cross_entropy  mean over B·S of −log softmax(logits)[target]   logits [B, S, V], targets [B, S]
 * Logits split along the vocab (V/tp per rank) use the vocab-parallel cross-entropy.
 */
export async function computeLoss(out: Tensor, target: Tensor, kind: LossKind, vocab: number | undefined, axis = 'tp'): Promise<Tensor> {
  if (kind === 'mse') {
    if (out.shape.length !== target.shape.length || out.shape.some((d, i) => d !== target.shape[i])) {
      throw shapeError(out, `the model's output [${out.shape.join(', ')}] does not match the target [${target.shape.join(', ')}]`, 'the last layer must produce the full output on every rank (all-reduce or all-gather it)');
    }
    return mean(square(sub(out, target))); // []
  }
  const v = out.shape[out.ndim - 1];
  const logits = reshape(out, [-1, v]); // [B·S, V or V/tp]
  const t = reshape(target, [-1]); // [B·S]
  if (vocab === undefined || v === vocab) return crossEntropy(logits, t);
  const tp = out.ctx.axisSize(axis);
  if (v * tp === vocab) return vocabParallelCrossEntropy(logits, t, axis);
  throw shapeError(out, `the logits' last dim is ${v}, but the vocabulary has ${vocab} tokens (tp=${tp})`, 'the LM head must produce [B, S, V] or, vocab-parallel, [B, S, V/tp]');
}
