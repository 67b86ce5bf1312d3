import type { SourceLocation } from '../../core/source.js';
import type { RankContext } from '../../core/context.js';
import { numel, type DType } from '../../core/dtype.js';
import { ConfigError, SimError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { Batch, BatchShape, ModelSpec } from '../../models/model.js';

/** Values already in memory: what the runner makes of a `.npy` or `.safetensors` file. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  /** Default float32; token ids are int32. */
  readonly dtype?: DType;
  /** Where the values came from, for messages ("batch.safetensors#input_ids"). */
  readonly from?: string;
}

/**
 * A tensor fed to a run, in place of the model's seeded one:
 *   "x.npy", "batch.safetensors#input_ids"   a file, relative to the script (the runner reads it;
 *                                            `#name` picks a tensor of a .safetensors file, which
 *                                            may be left out when the file holds one tensor)
 *   { shape, data, dtype? }                  values in memory
 *   (ctx, { batch, seq }) => Tensor          built on each rank (and for the reference) from the
 *                                            rank context: ctx.tensor(values, shape), ctx.randn(...)
 * The global batch: data-parallel replicas each take their rows (dim 0).
 */
export type TensorSource = string | HostTensor | ((ctx: RankContext, shape: BatchShape) => Tensor);

/** A loss in place of the model's default (mean squared error, or cross-entropy for language models). */
export type LossFn = (output: Tensor, batch: Batch) => Tensor | Promise<Tensor>;

export function isHostTensor(x: unknown): x is HostTensor {
  return typeof x === 'object' && x !== null && Array.isArray((x as HostTensor).shape) && typeof (x as HostTensor).data === 'object';
}

/**
 * The global batch on one rank: the spec's own input and labels where it gives them, the model's
 * seeded ones otherwise. The reference run calls this too, so both see the same tensors.
 */
export function batchFor(ctx: RankContext, model: ModelSpec, shape: BatchShape, seed: number, data?: TensorSource, labels?: TensorSource): Batch {
  const seeded = data === undefined || labels === undefined ? model.batch(ctx, shape, seed) : undefined;
  const input = data === undefined ? seeded!.input : tensorOf(ctx, data, shape, 'input.data');
  const target = labels === undefined ? seeded!.target : tensorOf(ctx, labels, shape, 'input.labels');
  return { input, target };
}

function tensorOf(ctx: RankContext, src: TensorSource, shape: BatchShape, what: string): Tensor {
  let t: Tensor;
  if (typeof src === 'function') {
    t = src(ctx, shape);
    if (!t || typeof t !== 'object' || !('shape' in t) || !('ctx' in t)) throw new ConfigError(`${what}: the function returned ${String(t)}, not a tensor`, 'return ctx.tensor(values, [batch, seq, …]) or ctx.randn([...])');
  } else if (isHostTensor(src)) {
    if (src.data.length !== numel(src.shape)) throw new ConfigError(`${what}${src.from ? ` (${src.from})` : ''}: ${src.data.length} values do not fill [${src.shape.join(', ')}]`);
    t = ctx.tensor(src.data, src.shape, src.dtype ?? 'float32', `${what}:${src.from ?? ''}`);
  } else {
    throw new ConfigError(`${what}: the file "${String(src)}" was not read`, 'run the script with autodist simulate or the editor, which read input files');
  }
  const from = isHostTensor(src) && src.from ? ` (${src.from})` : '';
  if (t.shape[0] !== shape.batch || (t.shape.length > 1 && t.shape[1] !== shape.seq)) {
    throw new ConfigError(`${what}${from} is [${t.shape.join(', ')}] but input is batch ${shape.batch}, seq ${shape.seq}`, `make it [${shape.batch}, ${shape.seq}, …], or set input.batch and input.seq to its first two sizes`);
  }
  return t;
}

/** The loss a run uses: the spec's `loss(output, batch)` checked to be one number, or the model's. */
export async function lossOf(custom: LossFn | undefined, out: Tensor, batch: Batch, dflt: () => Promise<Tensor>, at?: SourceLocation): Promise<Tensor> {
  if (!custom) return dflt();
  const l = await custom(out, batch);
  // `at`: the spec's loss line (the function returned; no frame of the person's is left)
  const bad = (headline: string, fix: string) => new SimError('config', `rank ${out.ctx.rank}: ${headline}`, { ranks: [{ rank: out.ctx.rank, source: at, detail: 'the spec\'s loss' }], fix, source: at });
  if (!l || typeof l !== 'object' || !('shape' in l)) throw bad(`loss(output, batch) returned ${String(l)}, not a tensor`, 'return a scalar tensor, e.g. ops.mean(ops.square(ops.sub(output, batch.target)))');
  if (numel(l.shape) !== 1) throw bad(`loss(output, batch) returned a tensor of shape [${l.shape.join(', ')}]; the loss must be one number`, 'reduce it: ops.mean(...) or ops.sum(...)');
  return l;
}
