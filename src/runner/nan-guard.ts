import * as tf from '@tensorflow/tfjs-core';
import type { OpSpec, RankContext } from '../core/context.js';
import { fmtShape, isFloat } from '../core/dtype.js';
import { SimError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { SimulationSpec } from '../parallel/simulation/spec.js';

/**
 * Numeric mode: stop at the first op whose output holds NaN, or ±Inf that is not a mask's (see
 * intendedInf), and say which op, on which rank, in which module and phase, at which line of the
 * person's code.
 *
 * The check runs on the device: sum(x·0) is 0 for finite x and NaN as soon as one value is NaN
 * or infinite — two kernels and a one-number read per op.
 *
 * It wraps each rank's `apply` (every op goes through it) from the runner, because the core has
 * no per-op hook yet; a `SimOptions.onOp(ctx, spec, out)` callback in the core would replace this.
 */
export function withNanCheck(spec: SimulationSpec): SimulationSpec {
  if ((spec.mode ?? 'numeric') !== 'numeric') return spec; // meta mode has no values (and a plan-only spec stays one)
  if (spec.program) {
    const program = spec.program;
    return { ...spec, program: (ctx, p) => (guardRank(ctx), program(ctx, p)) };
  }
  const parallelize = spec.parallelize;
  return {
    ...spec,
    parallelize: (model, p) => {
      guardRank(p.ctx);
      return parallelize?.(model, p);
    },
  };
}

const guarded = new WeakSet<RankContext>();

function guardRank(ctx: RankContext): void {
  if (ctx.mode !== 'numeric' || guarded.has(ctx)) return;
  guarded.add(ctx);
  const apply = ctx.apply.bind(ctx);
  ctx.apply = (op: OpSpec): Tensor => {
    const out = apply(op);
    if (out.data && isFloat(out.dtype) && !allFinite(out.data) && !intendedInf(op, out.data)) throw nonFinite(ctx, op, out);
    return out;
  };
}

/** Ops that put ±Inf in on purpose: PyTorch's attention-mask idiom, masked_fill(mask, -inf). */
const MASK_OPS = new Set(['masked_fill', 'where']);

/**
 * ±Inf without NaN that a mask op made, or that an input already held (torch.full(-inf).triu(1)
 * made outside any op, then added to the scores): PyTorch code does this on purpose, and a
 * softmax turns it back into finite values. NaN always stops the run, and so does ±Inf that any
 * other op makes from finite inputs (a division by zero, an overflow).
 */
function intendedInf(op: OpSpec, t: tf.Tensor): boolean {
  const nan = tf.tidy(() => tf.any(tf.isNaN(t)));
  const hasNaN = nan.dataSync()[0] !== 0;
  nan.dispose();
  if (hasNaN) return false;
  return MASK_OPS.has(op.name) || op.inputs.some((x) => x.data && isFloat(x.dtype) && !allFinite(x.data));
}

export function allFinite(t: tf.Tensor): boolean {
  if (t.size === 0) return true;
  const s = tf.tidy(() => tf.sum(tf.mul(t, tf.scalar(0, t.dtype))));
  const v = s.dataSync()[0];
  s.dispose();
  return Number.isFinite(v);
}

function nonFinite(ctx: RankContext, op: OpSpec, out: Tensor): SimError {
  const bad = op.inputs.findIndex((x) => x.data && isFloat(x.dtype) && !allFinite(x.data));
  const kinds = countKinds(out.data!);
  const where = `${op.name}${ctx.module ? ` in ${ctx.module}` : ''} (${ctx.phase})`;
  // an input with ±Inf only (a −inf mask) that this op turned into NaN: the NaN is made here
  const inKinds = bad < 0 ? '' : countKinds(op.inputs[bad].data!);
  const fromInf = bad >= 0 && !inKinds.includes('NaN');
  const headline = bad < 0
    ? `rank ${ctx.rank}: ${where} produced ${kinds} from finite inputs`
    : fromInf
      ? `rank ${ctx.rank}: ${where} produced ${kinds} from the ${inKinds} in its input #${bad} ${fmtShape(op.inputs[bad].shape)}`
      : `rank ${ctx.rank}: ${where} got ${kinds} in its input #${bad} ${fmtShape(op.inputs[bad].shape)}, which came from a weight, the input batch or a collective`;
  const source = ctx.source(true);
  return new SimError('numeric', headline, {
    ranks: [{ rank: ctx.rank, source, detail: `${op.name} → ${fmtShape(out.shape)}` }],
    source,
    fix: bad < 0
      ? hint(op.name)
      : fromInf
        ? /softmax/.test(op.name)
          ? 'a row masked entirely with −inf has no softmax (PyTorch gives NaN too): leave at least one position of each row unmasked'
          : 'infinite values (a −inf mask?) meet here: inf − inf and 0 · inf are NaN'
        : 'check the values fed in (weights file, scaling) and the collective that delivered them',
  });
}

function countKinds(t: tf.Tensor): string {
  const v = t.dataSync();
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i])) nan++;
    else if (!Number.isFinite(v[i])) inf++;
  }
  const parts: string[] = [];
  if (nan) parts.push(`${nan} NaN`);
  if (inf) parts.push(`${inf} ±Inf`);
  return `${parts.join(' and ')} value${nan + inf === 1 ? '' : 's'} (of ${v.length})`;
}

function hint(op: string): string {
  if (/div|rsqrt|reciprocal/.test(op)) return 'a division by zero: add an epsilon to the denominator';
  if (/log/.test(op)) return 'log of zero or a negative number: clamp the argument or work in log-space';
  if (/sqrt/.test(op)) return 'square root of a negative number';
  if (/exp|softmax/.test(op)) return 'overflow: subtract the maximum before exponentiating';
  return 'look at the values entering this op';
}
