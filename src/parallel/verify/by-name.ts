import * as tf from '@tensorflow/tfjs-core';
import type { Placement } from '../../core/placement.js';
import { baseName, type SourceLocation } from '../../core/source.js';
import type { Tensor } from '../../core/tensor.js';
import type { Divergence, ErrorCheck, VerificationInfo } from '../../report/types.js';
import { errorStats as rawStats, type ErrorStats, type Tolerances } from './compare.js';

/**
 * Verification of a file against its own world-size-1 run, with no AutoDist-specific code in it:
 * every module output (by module name and call number) and every parameter gradient (by name) of
 * the N-rank run is re-assembled and compared with the reference run's.
 *
 * How each rank's piece relates to the whole is read from the tensors themselves:
 *   - a parameter cut out of a full tensor (narrow/split/chunk/slicing) carries its index range;
 *   - otherwise, from the shapes: the same shape as the reference → replicated (each rank must
 *     equal it), or a partial sum (the ranks add up to it: reported as a missing all-reduce);
 *     one dim 1/k of the reference's → concatenated along it, over consecutive ranks.
 */
export interface NamedCall {
  readonly name: string;
  /**
   * The module handed on what one of its children returned (a pipeline wrapper, a Sequential
   * stage): its shape is reported, but it is not compared (its contents differ between runs).
   */
  readonly seeThrough?: boolean;
  readonly call: number;
  readonly kind: string;
  readonly shape: readonly number[];
  readonly data: tf.Tensor | null;
  readonly site?: SourceLocation;
  /** A DTensor output: its sharded dims and the whole's size along each, as its placements claim. */
  readonly sharded?: readonly (readonly [number, number])[];
  /** Where its layout was declared (the plan entry that took a plain tensor as sharded). */
  readonly declaredAt?: SourceLocation;
}

export interface NamedParam {
  readonly name: string;
  readonly module: string;
  readonly kind: string;
  readonly tensor: Tensor;
  readonly shape: readonly number[];
  readonly grad: tf.Tensor | null;
  /** The parameter's values when it is a vector (a bias), for the diagnoses. */
  readonly value?: tf.Tensor;
  readonly placement?: Placement;
  readonly site?: SourceLocation;
}

export interface RankRecord {
  readonly rank: number;
  readonly calls: readonly NamedCall[];
  readonly params: readonly NamedParam[];
}

interface Piece {
  readonly rank: number;
  readonly shape: readonly number[];
  readonly data: tf.Tensor;
  /** [start, length] ranges of `dim` of the whole tensor (see core/placement.ts). */
  readonly ranges?: readonly (readonly [number, number])[];
  readonly dim?: number;
  readonly sharded?: readonly (readonly [number, number])[];
  readonly declaredAt?: SourceLocation;
}

type Outcome =
  | { readonly ok: true; readonly err: ErrorStats; readonly how: string }
  | { readonly ok: false; readonly err?: ErrorStats; readonly why: string };

export function verifyByName(ref: RankRecord | undefined, sharded: readonly (RankRecord | undefined)[], tol: Tolerances): VerificationInfo {
  if (!ref) return { passed: false, reference: 'world-size-1', skipped: 'the world-size-1 run recorded nothing', outputs: [], grads: [] };
  if (!ref.calls.length && !ref.params.length && sharded.every((r) => !r || (!r.calls.length && !r.params.length))) {
    // no module anywhere (a script of bare collectives): nothing to compare by name, nothing wrong
    return { passed: true, reference: 'world-size-1', skipped: 'no module to compare: the file runs no module (nn.Module / Module), so its numbers are reported, not verified', outputs: [], grads: [] };
  }
  let out: VerificationInfo | undefined;
  tf.tidy(() => {
    out = compareAll(ref, sharded, tol);
  });
  return out!;
}

function compareAll(ref: RankRecord, sharded: readonly (RankRecord | undefined)[], tol: Tolerances): VerificationInfo {
  const outputs: ErrorCheck[] = [];
  const grads: ErrorCheck[] = [];
  let first: Divergence | undefined;
  const calls = new Map<string, Piece[]>();
  for (const r of sharded) {
    if (!r) continue;
    for (const c of r.calls) {
      if (!c.data) continue;
      const key = `${c.name}#${c.call}`;
      const list = calls.get(key) ?? [];
      list.push({ rank: r.rank, shape: c.shape, data: c.data, sharded: c.sharded, declaredAt: c.declaredAt });
      calls.set(key, list);
    }
  }
  let matched = 0;
  // a value that is zero in exact arithmetic (the gradient of a key bias: softmax ignores a shift)
  // is rounding noise in both runs: errors are relative to at least 1e-3 of the largest value of
  // its kind, not to its own near-zero size
  const outFloor = 1e-3 * maxAbsOf(ref.calls.map((c) => c.data));
  const gradFloor = 1e-3 * maxAbsOf(ref.params.map((p) => p.grad));
  for (const rc of ref.calls) {
    if (!rc.data) continue;
    const pieces = calls.get(`${rc.name}#${rc.call}`);
    if (!pieces || !pieces.length) continue;
    matched++;
    const name = rc.name || '(the model)';
    const label = rc.call > 0 ? `${name} (call ${rc.call + 1})` : name;
    const claimed = claimedShape(pieces, rc.shape);
    const o = claimed ?? place('output', pieces, rc.data, rc.shape, tol.output, outFloor, biasOf(sharded, rc.name));
    // a layout declared wrong is reported where it was declared (the plan entry), else where the module was built
    const site = (claimed && pieces.find((p) => p.declaredAt)?.declaredAt) || (sharded.find((r) => r?.calls.some((c) => c.name === rc.name))?.calls.find((c) => c.name === rc.name)?.site ?? rc.site);
    if (!o.ok && matched === 1) {
      // the very first module already differs, on some ranks only, while rank 0 (which the
      // world-size-1 run is) matches: the ranks were given other data than the reference's
      const other = ownData(pieces, rc.data, rc.shape, tol.output, outFloor);
      if (other) {
        // a module no other module holds (a local `emb = nn.Embedding(…)`) has no path: its kind and line
        const first = rc.name ? label : rc.site ? `the ${rc.kind} of ${baseName(rc.site.file)}:${rc.site.line}` : `the ${rc.kind}`;
        return { passed: true, reference: 'world-size-1', skipped: `each rank was given its own data: ${first}, the first module, matches the world-size-1 run on rank 0 but not on rank${other.length > 1 ? 's' : ''} ${other.join(', ')} (a batch drawn or loaded per rank, e.g. torch.manual_seed(seed + rank) or a DistributedSampler), so one world-size-1 run is no reference for them — to verify, give every rank the same batch and take each rank's rows of it (x[rank * n:(rank + 1) * n])`, outputs: [], grads: [] };
      }
    }
    outputs.push({ name: label, kind: 'output', maxAbs: o.err?.maxAbs ?? Infinity, maxRel: o.err?.maxRel ?? Infinity, tolerance: tol.output, passed: o.ok, shape: rc.shape, source: site ? { ...site } : undefined, note: o.ok ? o.how : o.why });
    if (!o.ok && !first) {
      first = { where: label, kind: 'output', message: `output of ${label} (${rc.kind}) differs from the world-size-1 run${o.err ? ` (max |Δ| ${fmt(o.err.maxAbs)}, relative ${fmt(o.err.maxRel)})` : ''}: ${o.why}`, maxAbs: o.err?.maxAbs ?? Infinity, source: site ? { ...site } : undefined, builtAt: site ? { ...site } : undefined, rank: pieces[0].rank };
    }
  }
  // parameter gradients
  const params = new Map<string, Piece[]>();
  const paramSite = new Map<string, SourceLocation | undefined>();
  for (const r of sharded) {
    if (!r) continue;
    for (const p of r.params) {
      if (!p.grad) continue;
      const list = params.get(p.name) ?? [];
      const pl = p.placement;
      list.push({ rank: r.rank, shape: p.shape, data: p.grad, ranges: pl?.kind === 'shard' ? pl.ranges : undefined, dim: pl?.kind === 'shard' ? pl.dim : undefined });
      params.set(p.name, list);
      if (!paramSite.has(p.name)) paramSite.set(p.name, p.site);
    }
  }
  // gradients in backward order (the reverse of their modules' first calls): the first wrong one
  // is where backward first went wrong
  const firstCall = new Map<string, number>();
  ref.calls.forEach((c, i) => {
    if (!firstCall.has(c.name)) firstCall.set(c.name, i);
  });
  const inBackwardOrder = [...ref.params].sort((a, b) => (firstCall.get(b.module) ?? -1) - (firstCall.get(a.module) ?? -1));
  for (const rp of inBackwardOrder) {
    if (!rp.grad) continue;
    const pieces = params.get(rp.name);
    if (!pieces || !pieces.length) continue;
    matched++;
    const o = place('grad', pieces, rp.grad, rp.shape, tol.grad, gradFloor);
    const site = paramSite.get(rp.name) ?? rp.site;
    grads.push({ name: rp.name, kind: 'grad', maxAbs: o.err?.maxAbs ?? Infinity, maxRel: o.err?.maxRel ?? Infinity, tolerance: tol.grad, passed: o.ok, shape: rp.shape, source: site ? { ...site } : undefined, note: o.ok ? o.how : o.why });
    if (!o.ok && !first) {
      first = { where: rp.name, kind: 'grad', message: `gradient of ${rp.name} differs from the world-size-1 run${o.err ? ` (max |Δ| ${fmt(o.err.maxAbs)}, relative ${fmt(o.err.maxRel)})` : ''}: ${o.why}`, maxAbs: o.err?.maxAbs ?? Infinity, source: site ? { ...site } : undefined, rank: pieces[0].rank };
    }
  }
  if (matched === 0) {
    return { passed: false, reference: 'world-size-1', skipped: 'no module or parameter of the N-rank run has a namesake in the world-size-1 run (build the full model, then shard it, so both runs name modules alike)', outputs, grads };
  }
  const passed = outputs.every((c) => c.passed) && grads.every((c) => c.passed);
  return { passed, reference: 'world-size-1', outputs, grads, firstDivergence: first };
}

/**
 * How the pieces make the reference, and how far they are from it. Tried in order: their own
 * index ranges; replicated; concatenated along a dim that is 1/k of the reference's; a partial
 * sum (reported as a failure: an all-reduce is missing).
 */
function place(what: 'output' | 'grad', pieces: readonly Piece[], ref: tf.Tensor, refShape: readonly number[], tol: number, floor: number, bias?: ReadonlyMap<number, tf.Tensor>): Outcome {
  const errorStats = (a: tf.Tensor, b: tf.Tensor) => floored(a, b, floor);
  const sorted = [...pieces].sort((a, b) => a.rank - b.rank);
  if (sorted.every((p) => p.ranges && p.dim !== undefined)) {
    const r = byRanges(sorted, ref, refShape, floor);
    if (r) return r.err.maxRel <= tol ? { ok: true, err: r.err, how: r.how } : { ok: false, err: r.err, why: `re-assembled from each rank's index ranges (${r.how}), the values differ` };
  }
  const same = sorted.filter((p) => sameShape(p.shape, refShape));
  if (same.length === sorted.length) {
    let worst: ErrorStats = { maxAbs: 0, maxRel: 0, at: 0 };
    for (const p of sorted) {
      const e = errorStats(p.data, ref);
      if (e.maxRel > worst.maxRel || !(e.maxRel === e.maxRel)) worst = e;
    }
    if (worst.maxRel <= tol) return { ok: true, err: worst, how: 'replicated' };
    // a partial sum? (each rank holds an addend: the all-reduce is missing) — over consecutive
    // ranks (a tp group) or strided ones (the stages of a pipeline: rank r and r + stride)
    const sum = partialSum(sorted, ref, tol, errorStats);
    if (sum) {
      const over = `the sum over ranks ${sum.join(', ')} matches`;
      const why = what === 'output'
        ? `each rank holds a partial sum: ${over} — an all-reduce of this output over them is missing`
        : `each rank holds a partial sum of this gradient: ${over} — an all-reduce over them is missing: of the gradient itself when the weight is used on several ranks (an embedding tied to the LM head on the first and last pipeline stages), or, in a tensor-parallel model, of the input gradient of the layer after it (Megatron's f, an identity forward whose backward all-reduces)`;
      return { ok: false, err: worst, why };
    }
    const counted = bias ? biasCounted(sorted, ref, bias, tol, floor) : null;
    if (counted) return { ok: false, err: worst, why: counted };
    return { ok: false, err: worst, why: 'every rank holds the full shape, and the values differ' };
  }
  // one dim a fraction of the reference's: concatenated along it over consecutive ranks
  const s0 = sorted[0].shape;
  if (sorted.every((p) => sameShape(p.shape, s0)) && s0.length === refShape.length) {
    const diff = s0.map((d, i) => (d !== refShape[i] ? i : -1)).filter((i) => i >= 0);
    if (diff.length === 1) {
      const d = diff[0];
      const k = refShape[d] / s0[d];
      if (Number.isInteger(k) && sorted.length % k === 0) {
        let worst: ErrorStats = { maxAbs: 0, maxRel: 0, at: 0 };
        for (let g = 0; g < sorted.length; g += k) {
          const whole = tf.concat(sorted.slice(g, g + k).map((p) => p.data), d);
          const e = errorStats(whole, ref);
          if (e.maxRel > worst.maxRel || !(e.maxRel === e.maxRel)) worst = e;
        }
        const how = `Shard(${d}) over ${k} ranks`;
        if (worst.maxRel <= tol) return { ok: true, err: worst, how };
        const strided = byBlocks(sorted, ref, refShape, tol, floor);
        if (strided) return strided;
        return { ok: false, err: worst, why: `concatenated along dim ${d} over consecutive ranks (${how}), the values differ` };
      }
    }
    if (diff.length >= 2) {
      const blocks = byBlocks(sorted, ref, refShape, tol, floor);
      if (blocks) return blocks;
    }
    const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    if (diff.length === 2 && (numel(s0) * sorted.length === numel(refShape) || numel(s0) === numel(refShape))) {
      const [a, b] = diff;
      const grown = s0[a] > refShape[a] ? a : b;
      const shrunk = grown === a ? b : a;
      return { ok: false, why: `its shape is [${s0.join(', ')}] on each rank where the world-size-1 run has [${refShape.join(', ')}]: the shards were concatenated along dim ${grown} but they split dim ${shrunk} — gather along dim ${shrunk}` };
    }
  }
  return { ok: false, why: `its shape [${s0.join(', ')}] on rank ${sorted[0].rank} does not re-assemble into [${refShape.join(', ')}]` };
}

function byRanges(pieces: readonly Piece[], ref: tf.Tensor, refShape: readonly number[], floor: number): { err: ErrorStats; how: string } | null {
  const errorStats = (a: tf.Tensor, b: tf.Tensor) => floored(a, b, floor);
  const dim = pieces[0].dim!;
  if (pieces.some((p) => p.dim !== dim)) return null;
  // each distinct range set once (data-parallel replicas hold the same ranges: compare each)
  let worst: ErrorStats = { maxAbs: 0, maxRel: 0, at: 0 };
  const refData = ref;
  for (const p of pieces) {
    const parts = p.ranges!.map(([start, len]) => tf.slice(refData, refShape.map((_, i) => (i === dim ? start : 0)), refShape.map((s, i) => (i === dim ? len : s))));
    const expected = parts.length === 1 ? parts[0] : tf.concat(parts, dim);
    if (!sameShape(expected.shape, p.shape)) return null;
    const e = errorStats(p.data, expected);
    if (e.maxRel > worst.maxRel || !(e.maxRel === e.maxRel)) worst = e;
  }
  return { err: worst, how: `Shard(${dim}) by index ranges` };
}

/**
 * Pieces split along several dims on a row-major mesh (a batch split over "dp" and a feature or
 * sequence split over "tp"): rank r holds block ⌊r / stride_j⌋ mod k_j of each split dim j, for
 * some stride per dim; ranks with the same blocks are replicas. Tries every stride assignment
 * that covers all blocks; passes if each rank's piece equals its block of the reference.
 */
function byBlocks(pieces: readonly Piece[], ref: tf.Tensor, refShape: readonly number[], tol: number, floor: number): Outcome | null {
  const errorStats = (a: tf.Tensor, b: tf.Tensor) => floored(a, b, floor);
  const s0 = pieces[0].shape;
  if (!pieces.every((p) => sameShape(p.shape, s0)) || s0.length !== refShape.length) return null;
  const dims = s0.map((d, i) => (d !== refShape[i] ? i : -1)).filter((i) => i >= 0);
  const ks = dims.map((d) => refShape[d] / s0[d]);
  if (!dims.length || dims.length > 3 || ks.some((k) => !Number.isInteger(k))) return null;
  const n = Math.max(...pieces.map((p) => p.rank)) + 1;
  const strides = ks.map((k) => [1, ...divisorsOf(n)].filter((st) => n % (st * k) === 0));
  const blocks = ks.reduce((a, b) => a * b, 1);
  const combos: number[][] = [[]];
  for (const c of strides) combos.splice(0, combos.length, ...combos.flatMap((pre) => c.map((st) => [...pre, st])));
  for (const st of combos) {
    const at = (r: number) => ks.map((k, j) => Math.floor(r / st[j]) % k);
    if (new Set(pieces.map((p) => at(p.rank).join(','))).size !== blocks) continue;
    let worst: ErrorStats = { maxAbs: 0, maxRel: 0, at: 0 };
    for (const p of pieces) {
      const idx = at(p.rank);
      const begin = refShape.map((_, i) => (dims.includes(i) ? idx[dims.indexOf(i)] * s0[i] : 0));
      const e = errorStats(p.data, tf.slice(ref, begin, [...s0]));
      if (e.maxRel > worst.maxRel || !(e.maxRel === e.maxRel)) worst = e;
    }
    if (worst.maxRel <= tol) return { ok: true, err: worst, how: dims.map((d, j) => `Shard(${d}) over ${ks[j]} ranks` + (st[j] > 1 ? ` (rank stride ${st[j]})` : '')).join(', ') };
  }
  return null;
}

/**
 * A DTensor output whose placements claim a whole of another size than the reference's (a
 * full-sequence tensor declared Shard(1): each rank takes the whole for its piece).
 */
function claimedShape(pieces: readonly Piece[], refShape: readonly number[]): Outcome | null {
  for (const p of pieces) {
    for (const [d, n] of p.sharded ?? []) {
      if (refShape[d] !== undefined && n !== refShape[d]) {
        return { ok: false, why: `it is a DTensor sharded along dim ${d} whose placements make the whole ${n} long there (rank ${p.rank} holds ${p.shape[d]}), but the world-size-1 run's is ${refShape[d]}: its input was declared sharded along dim ${d} (from_local, SequenceParallel, input_layouts) but each rank held the whole` };
      }
    }
  }
  return null;
}

/**
 * The ranks whose pieces add up to the reference: the first k of them at some stride, for every
 * group size k that divides the world and every stride that fits (consecutive first).
 */
function partialSum(sorted: readonly Piece[], ref: tf.Tensor, tol: number, errorStats: (a: tf.Tensor, b: tf.Tensor) => ErrorStats): number[] | null {
  const byRank = new Map(sorted.map((p) => [p.rank, p]));
  const n = Math.max(...sorted.map((p) => p.rank)) + 1;
  for (const k of divisorsOf(n)) {
    for (let stride = 1; stride * (k - 1) < n; stride++) {
      if (n % (stride * k) !== 0) continue;
      const group = Array.from({ length: k }, (_, j) => sorted[0].rank + j * stride);
      const parts = group.map((r) => byRank.get(r));
      if (parts.some((p) => !p)) continue;
      if (errorStats(tf.addN(parts.map((p) => p!.data)), ref).maxRel <= tol) return group;
    }
  }
  return null;
}

/**
 * The bias of a row-parallel layer added on every rank before the all-reduce sums them: each
 * rank's output = reference + (k − 1) × bias, k the ranks that summed it. Tried for every k that
 * divides the world; the rank's own bias (a full-shape parameter of the module) is the one added.
 */
function biasCounted(pieces: readonly Piece[], ref: tf.Tensor, bias: ReadonlyMap<number, tf.Tensor>, tol: number, floor: number): string | null {
  const n = Math.max(...pieces.map((p) => p.rank)) + 1;
  for (const k of divisorsOf(n)) {
    let ok = true;
    for (const p of pieces) {
      const b = bias.get(p.rank);
      if (!b || b.shape.length !== 1 || b.shape[0] !== ref.shape[ref.shape.length - 1]) return null;
      const e = floored(tf.sub(p.data, tf.mul(b, k - 1)), ref, floor);
      if (!(e.maxRel <= tol)) {
        ok = false;
        break;
      }
    }
    if (ok) return `the bias is added on each of ${k} ranks before the all-reduce sums them, so it is counted ${k} times (output = reference + ${k - 1} × bias) — add the bias once, after the all-reduce (F.linear(x, weight) without the bias, all_reduce, then + bias)`;
  }
  return null;
}

/** Each rank's own `<module>.bias` values, by rank (for the bias diagnosis). */
function biasOf(sharded: readonly (RankRecord | undefined)[], module: string): Map<number, tf.Tensor> {
  const out = new Map<number, tf.Tensor>();
  const name = module ? `${module}.bias` : 'bias';
  for (const r of sharded) {
    const p = r?.params.find((q) => q.name === name);
    if (p?.value) out.set(r!.rank, p.value);
  }
  return out;
}

/**
 * The ranks whose full-shape output differs from the reference while rank 0's equals it (each
 * rank fed its own data); null when rank 0 differs too or a piece is not full-shape.
 */
function ownData(pieces: readonly Piece[], ref: tf.Tensor, refShape: readonly number[], tol: number, floor: number): number[] | null {
  if (!pieces.every((p) => sameShape(p.shape, refShape))) return null;
  const zero = pieces.find((p) => p.rank === 0);
  if (!zero || !(floored(zero.data, ref, floor).maxRel <= tol)) return null;
  const other = pieces.filter((p) => p.rank !== 0 && !(floored(p.data, ref, floor).maxRel <= tol)).map((p) => p.rank);
  return other.length ? other.sort((a, b) => a - b) : null;
}

function divisorsOf(n: number): number[] {
  const out: number[] = [];
  for (let k = n; k >= 2; k--) if (n % k === 0) out.push(k);
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toExponential(1) : String(x);
}

/** errorStats with the relative error taken against at least `floor` (see compareAll). */
function floored(a: tf.Tensor, b: tf.Tensor, floor: number): ErrorStats {
  const e = rawStats(a, b);
  if (!(e.maxAbs === e.maxAbs) || floor <= 0) return e;
  const scale = e.maxRel > 0 && Number.isFinite(e.maxRel) ? e.maxAbs / e.maxRel : 0;
  return scale >= floor ? e : { ...e, maxRel: e.maxAbs / floor };
}

function maxAbsOf(ts: readonly (tf.Tensor | null)[]): number {
  let m = 0;
  for (const t of ts) {
    if (!t) continue;
    const v = t.dataSync();
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]);
      if (a > m) m = a;
    }
  }
  return m;
}
