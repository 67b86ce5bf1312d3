import * as tf from '@tensorflow/tfjs-core';
import type { Captured } from './capture.js';

/** How the shards of one tensor (the ranks of one tensor-parallel group, in tp order) map onto the dense tensor. */
export type Assembly =
  | { readonly kind: 'replicated'; readonly perRank: readonly tf.Tensor[] }
  | { readonly kind: 'sharded'; readonly dim: number; readonly dense: tf.Tensor }
  | { readonly kind: 'mismatch'; readonly shapes: readonly (readonly number[])[] };

/**
 * Put the shards back together. Same shape as the dense tensor → each rank holds all of it.
 * One dim smaller by the group size → shards of that dim, placed by their recorded index ranges
 * (a fused q|k|v split per block) or, without a record, contiguously in tp order.
 */
export function assemble(dense: readonly number[], parts: readonly Captured[]): Assembly {
  const shapes = parts.map((p) => p.shape);
  if (parts.some((p) => !p.data)) return { kind: 'mismatch', shapes };
  if (parts.every((p) => sameShape(p.shape, dense))) return { kind: 'replicated', perRank: parts.map((p) => p.data!) };
  const n = parts.length;
  const s0 = parts[0].shape;
  if (!parts.every((p) => sameShape(p.shape, s0)) || s0.length !== dense.length) return { kind: 'mismatch', shapes };
  const diff = s0.map((d, i) => (d !== dense[i] ? i : -1)).filter((i) => i >= 0);
  if (diff.length !== 1 || s0[diff[0]] * n !== dense[diff[0]]) return { kind: 'mismatch', shapes };
  const dim = diff[0];
  const pieces: { start: number; t: tf.Tensor }[] = [];
  parts.forEach((p, i) => {
    const ranges = p.hint && p.hint.dim === dim ? p.hint.ranges : [[i * s0[dim], s0[dim]] as const];
    let off = 0;
    for (const [start, len] of ranges) {
      const begin = s0.map((_, k) => (k === dim ? off : 0));
      const size = s0.map((d, k) => (k === dim ? len : d));
      pieces.push({ start, t: tf.slice(p.data!, begin, size) });
      off += len;
    }
  });
  pieces.sort((a, b) => a.start - b.start);
  const out = tf.concat(pieces.map((p) => p.t), dim);
  for (const p of pieces) p.t.dispose();
  return { kind: 'sharded', dim, dense: out };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
