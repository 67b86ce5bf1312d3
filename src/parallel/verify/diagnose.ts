import * as tf from '@tensorflow/tfjs-core';
import type { SourceLocation } from '../../core/source.js';
import type { TraceEvent } from '../../core/trace.js';
import type { Captured } from './capture.js';
import { errorStats } from './compare.js';

/** A named cause for a divergence, with the line to look at. */
export interface Diagnosis {
  readonly message: string;
  readonly source?: SourceLocation;
}

/**
 * out − ref ≈ (P − 1)·b: the bias of a row-parallel layer was added on every rank before the
 * all-reduce summed them.
 */
export function biasCountedTwice(out: tf.Tensor, ref: tf.Tensor, bias: tf.Tensor | null, p: number, path: string, trace: readonly TraceEvent[], rank: number): Diagnosis | null {
  if (!bias || p < 2) return null;
  const resid = tf.tidy(() => tf.sub(tf.sub(out, ref), tf.mul(bias, p - 1)));
  const base = errorStats(out, ref);
  const r = errorStats(tf.add(ref, resid), ref);
  resid.dispose();
  if (!(base.maxAbs > 0) || r.maxAbs > base.maxAbs * 1e-2) return null;
  const add = trace.find((e) => e.rank === rank && e.kind === 'compute' && e.phase === 'forward' && e.module === path && e.name === 'add' && e.inShapes?.some((s) => s.length === 1 && s[0] === bias.shape[0]));
  return {
    message: `the bias is added on each of ${p} ranks before the all-reduce sums them, so it is counted ${p} times (output = reference + ${p - 1} × bias) — add it after the all-reduce`,
    source: add?.source,
  };
}

/** Σ_ranks out_i ≈ ref: each rank holds a partial sum that was never reduced. */
export function missingReduce(parts: readonly Captured[], ref: tf.Tensor, path: string, trace: readonly TraceEvent[], ranks: readonly number[], what: 'output' | 'input-grad', bias: tf.Tensor | null = null): Diagnosis | null {
  if (parts.length < 2 || parts.some((p) => !p.data || p.data.size !== ref.size)) return null;
  const sum = tf.tidy(() => tf.reshape(tf.addN(parts.map((p) => p.data!)), ref.shape));
  // with a bias each rank added: Σ out_i = ref + (P − 1)·b
  const unbiased = bias ? tf.tidy(() => tf.sub(sum, tf.mul(bias, parts.length - 1))) : null;
  const e = errorStats(sum, ref);
  const eb = unbiased ? errorStats(unbiased, ref) : null;
  sum.dispose();
  unbiased?.dispose();
  if (e.maxRel > 1e-3 && !(eb && eb.maxRel <= 1e-3)) return null;
  if (what === 'output') {
    const mm = [...trace].reverse().find((t) => t.rank === ranks[0] && t.kind === 'compute' && t.phase === 'forward' && t.module === path && t.name === 'matmul');
    return {
      message: e.maxRel > 1e-3
        ? `each rank holds a partial sum of the output plus the bias; their sum, less ${parts.length - 1} × the bias, equals the unsharded result — all-reduce the partial products across the ${parts.length} ranks (reduceFromRegion / comm.allReduce) and add the bias once, after it`
        : `each rank holds a partial sum of the output; their sum equals the unsharded result — all-reduce it across the ${parts.length} ranks (reduceFromRegion / comm.allReduce) before it is used`,
      source: mm?.source,
    };
  }
  return {
    message: `each rank's input gradient is a partial sum (their sum is the right gradient) — the layer needs an all-reduce of dX in backward: pass the input through copyToRegion (Megatron's f) before the matmul`,
  };
}

/** The shards have a different shape from the dense tensor: which dims were swapped. */
export function shapeMismatch(shapes: readonly (readonly number[])[], dense: readonly number[], path: string, trace: readonly TraceEvent[], rank: number): Diagnosis {
  const s = shapes[0] ?? [];
  const n = shapes.length;
  let msg = `${path || 'the model'} gives [${s.join(', ')}] on each rank where the unsharded model gives [${dense.join(', ')}]`;
  if (s.length === dense.length) {
    const bigger = s.findIndex((d, i) => d === dense[i] * n && n > 1);
    const smaller = s.findIndex((d, i) => d * n === dense[i] && n > 1);
    if (bigger >= 0 && smaller >= 0) {
      msg += `: the ${n} shards were concatenated along dim ${bigger}${bigger === 0 ? ' (batch)' : ''} but they split dim ${smaller} — gather along dim ${smaller}${smaller === s.length - 1 ? ' (the last dim)' : ''}`;
    }
  }
  const gathers = trace.filter((t) => t.rank === rank && t.kind === 'comm' && t.phase === 'forward' && t.module === path && t.name === 'all_gather');
  // a sequence-parallel layer's all-gather along S, given a whole sequence: S comes out n times longer
  const seqGather = n > 1 && s.length === dense.length && s.length >= 3 && s[1] === dense[1] * n ? gathers.find((t) => t.inShapes?.[0]?.[1] === dense[1] && t.outShape?.[1] === dense[1] * n) : undefined;
  if (seqGather) {
    return {
      message: `${path} gives [${s.join(', ')}] on each rank where the unsharded model gives [${dense.join(', ')}]: it runs sequence-parallel and all-gathered its input along the sequence (dim 1), but that input already held the whole sequence, so S came out ${n} times longer — what runs before it must be sequence-parallel too (its input split along S: scatterToSequenceRegion, or norms and embedding run on S/${n} rows), or drop sequenceParallel from this layer`,
      source: seqGather.source,
    };
  }
  return { message: msg, source: gathers[gathers.length - 1]?.source };
}

/** A fused q|k|v weight split contiguously instead of per block. */
export function naiveFusedSplit(fused: number | undefined, ranges: readonly (readonly [number, number])[] | undefined, param: string, tp: number): Diagnosis | null {
  if (!fused || fused < 2 || !ranges || ranges.length !== 1 || tp < 2) return null;
  return {
    message: `${param} stacks ${fused} blocks (q|k|v) but each rank got one contiguous slice of it, so a rank's "q", "k" and "v" are parts of the wrong blocks — split it per block: weights["…"].splitFused(${fused}, tp)`,
  };
}
