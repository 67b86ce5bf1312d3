import * as tf from '@tensorflow/tfjs-core';
import type { Mesh } from '../../core/mesh.js';
import type { SourceLocation } from '../../core/source.js';
import type { Divergence, ErrorCheck, VerificationInfo } from '../../report/types.js';
import { assemble, type Assembly } from './assemble.js';
import type { Captured, ModuleCall } from './capture.js';
import { errorStats, worst, ZERO_ERROR, type ErrorStats, type Tolerances } from './compare.js';
import { biasCountedTwice, missingReduce, naiveFusedSplit, shapeMismatch, type Diagnosis } from './diagnose.js';
import type { ParamRecord, ReferenceRecord, ShardedRecord } from './records.js';
import { minOf } from '../../report/format.js';

/**
 * Compare the sharded run with the unsharded reference: every module's output (in forward
 * order), the loss, every gradient flowing into a module (in backward order), and every
 * parameter gradient re-assembled from its shards. The first divergence is the earliest module
 * whose output is wrong; if all outputs are right, the latest module whose input gradient is
 * wrong (backward runs in reverse); then the parameter gradients.
 */
/**
 * Where the tensors the verifier compares can go, by name (`--dump`): "ref/fc1.out" and
 * "sim/fc1.out" (a module's output, the sharded one assembled from its shards),
 * "ref/fc1.weight.grad" and "sim/fc1.weight.grad", "ref/loss" and "sim/loss". The values are
 * copied when given.
 */
export type TensorSink = (name: string, shape: readonly number[], data: Float32Array) => void;

export function verify(sh: ShardedRecord, ref: ReferenceRecord, tol: Tolerances, dump?: TensorSink): VerificationInfo {
  // every tensor made while comparing (assemblies, joined micro-batches, slices) is freed here
  let out: VerificationInfo | undefined;
  tf.tidy(() => {
    out = verifyInner(sh, ref, tol, dump);
  });
  return out!;
}

/** The sharded side of a compared tensor as one dense tensor: each replica's assembly, rows joined. */
function dumpAssemblies(dump: TensorSink | undefined, name: string, as: readonly Assembly[], dense: readonly number[]): void {
  if (!dump || as.some((a) => a.kind === 'mismatch')) return;
  const whole = as.map((a) => (a.kind === 'sharded' ? a.dense : a.kind === 'replicated' ? a.perRank[0] : null)) as tf.Tensor[];
  const t = whole.length > 1 && whole[0].shape[0] !== dense[0] ? tf.concat(whole, 0) : whole[0];
  dump(name, t.shape, Float32Array.from(t.dataSync()));
}

function dumpTensor(dump: TensorSink | undefined, name: string, t: tf.Tensor): void {
  if (dump) dump(name, t.shape, Float32Array.from(t.dataSync()));
}

function verifyInner(sh: ShardedRecord, ref: ReferenceRecord, tol: Tolerances, dump?: TensorSink): VerificationInfo {
  const mesh = sh.mesh;
  const tp = mesh.has('tp') ? mesh.size('tp') : 1;
  const outputs: ErrorCheck[] = [];
  const grads: ErrorCheck[] = [];
  let first: Divergence | undefined;
  const diverge = (d: Divergence) => {
    if (!first) first = d;
  };

  // ---- forward: module outputs
  for (const rc of ref.capture.calls) {
    const parts = collect(sh, rc, (c) => c.output);
    if (parts.groups.length === 0) continue; // not run on the sharded side (e.g. replaced parent)
    const cmp = compareGroups(parts.groups, rc.output.data!, rc.output.shape);
    const name = label(rc);
    const passed = cmp.kind === 'ok' && cmp.err.maxRel <= tol.output;
    const src = parts.builtAt ?? rc.builtAt;
    outputs.push({ name, kind: 'output', maxAbs: cmp.kind === 'ok' ? cmp.err.maxAbs : Infinity, maxRel: cmp.kind === 'ok' ? cmp.err.maxRel : Infinity, tolerance: tol.output, passed, shape: rc.output.shape, source: src });
    if (!passed && !first) {
      const d = explainOutput(sh, ref, rc, parts, cmp, tp);
      diverge({
        where: name,
        kind: 'output',
        message: `output of ${name} differs from the unsharded model${cmp.kind === 'ok' ? ` (max |Δ| ${fmtNum(cmp.err.maxAbs)}, relative ${fmtNum(cmp.err.maxRel)})` : ''}${d ? `: ${d.message}` : ''}`,
        maxAbs: cmp.kind === 'ok' ? cmp.err.maxAbs : Infinity,
        source: d?.source ?? src,
        builtAt: src,
        rank: parts.groups[0]?.[0]?.rank,
      });
    }
    dumpTensor(dump, `ref/${name}.out`, rc.output.data!);
    if (cmp.kind === 'ok') {
      dumpAssemblies(dump, `sim/${name}.out`, cmp.assemblies, rc.output.shape);
      disposeAssemblies(cmp.assemblies);
    }
  }

  // ---- loss
  // the step's loss: each data-parallel replica's (any rank holding it), averaged
  dump?.('ref/loss', [], Float32Array.of(ref.loss));
  const byDp = new Map<number, number>();
  sh.losses.forEach((l, rank) => {
    if (l === null || l === undefined) return;
    const dp = mesh.has('dp') ? mesh.coord(rank, 'dp') : 0;
    if (!byDp.has(dp)) byDp.set(dp, l);
  });
  const shLoss = byDp.size ? [...byDp.values()].reduce((a, b) => a + b, 0) / byDp.size : null;
  let lossInfo: VerificationInfo['loss'];
  if (shLoss !== null) {
    lossInfo = { sharded: shLoss, reference: ref.loss };
    dump?.('sim/loss', [], Float32Array.of(shLoss));
    const e = Math.abs(shLoss - ref.loss);
    const rel = e / Math.max(Math.abs(ref.loss), 1e-12);
    // the reference sums B·S terms in float32: its relative rounding error can reach n·u
    // (u = 2^-24, Higham's bound for a sum of terms of one sign), which a dp=10,000 run passes
    const tolerance = tol.output + (sh.lossSummands ?? 0) * 2 ** -24;
    const passed = rel <= tolerance;
    outputs.push({ name: 'loss', kind: 'loss', maxAbs: e, maxRel: rel, tolerance, passed });
    if (!passed) diverge({ where: 'loss', kind: 'loss', message: `the loss is ${shLoss} where the unsharded model gives ${ref.loss}`, maxAbs: e });
  }

  // ---- backward: gradients flowing into each module (reverse order; of modules sharing one
  // input tensor, the innermost is the one the gradient flows into)
  const innermost = new Map<number, ModuleCall>();
  for (const c of ref.capture.calls) {
    const prev = c.input ? innermost.get(c.input.id) : undefined;
    if (c.input && (!prev || c.path.length > prev.path.length)) innermost.set(c.input.id, c);
  }
  for (const rc of [...ref.capture.calls].reverse()) {
    if (rc.input && innermost.get(rc.input.id) !== rc) continue;
    if (!rc.inputGrad?.data) continue;
    const parts = collect(sh, rc, (c) => c.inputGrad);
    if (parts.groups.length === 0) continue;
    // each data-parallel replica differentiates its own mean loss: its activation gradients are
    // ndp × those of the global mean (parameter gradients are averaged back by the dp all-reduce)
    const ndp = parts.groups.length;
    const refGrad = ndp > 1 ? tf.mul(rc.inputGrad.data, ndp) : rc.inputGrad.data;
    const cmp = compareGroups(parts.groups, refGrad, rc.inputGrad.shape);
    const name = `d(input of ${label(rc)})`;
    const passed = cmp.kind === 'ok' && cmp.err.maxRel <= tol.grad;
    grads.push({ name, kind: 'input-grad', maxAbs: cmp.kind === 'ok' ? cmp.err.maxAbs : Infinity, maxRel: cmp.kind === 'ok' ? cmp.err.maxRel : Infinity, tolerance: tol.grad, passed, shape: rc.inputGrad.shape, source: parts.builtAt ?? rc.builtAt });
    if (!passed && !first) {
      const d = parts.groups.length === 1 ? missingReduce(parts.groups[0].map((g) => g.captured), refGrad, rc.path, sh.trace, parts.groups[0].map((g) => g.rank), 'input-grad') : null;
      diverge({
        where: name,
        kind: 'input-grad',
        message: `the gradient flowing into ${label(rc)} differs from the unsharded model${cmp.kind === 'ok' ? ` (max |Δ| ${fmtNum(cmp.err.maxAbs)})` : ''}${d ? `: ${d.message}` : ''}`,
        maxAbs: cmp.kind === 'ok' ? cmp.err.maxAbs : Infinity,
        source: parts.builtAt ?? rc.builtAt,
        builtAt: parts.builtAt ?? rc.builtAt,
      });
    }
    if (cmp.kind === 'ok') disposeAssemblies(cmp.assemblies);
  }

  // ---- parameter gradients
  for (const [name, g] of ref.grads) {
    const recs = paramShards(sh, mesh, name);
    if (recs.length === 0) {
      grads.push({ name, kind: 'grad', maxAbs: NaN, maxRel: NaN, tolerance: tol.grad, passed: true, shape: g.shape, note: 'not present in the sharded model' });
      continue;
    }
    const parts: Captured[] = recs.map((r) => ({ shape: r.rec.shape, data: r.rec.grad, hint: r.rec.placement?.kind === 'shard' ? { dim: r.rec.placement.dim, ranges: r.rec.placement.ranges } : undefined }));
    if (parts.some((p) => !p.data)) {
      grads.push({ name, kind: 'grad', maxAbs: Infinity, maxRel: Infinity, tolerance: tol.grad, passed: false, shape: g.shape, note: 'no gradient on some rank' });
      diverge({ where: name, kind: 'grad', message: `${name} got no gradient on rank ${recs.find((r) => !r.rec.grad)?.rank}: it does not take part in computing the loss there`, maxAbs: Infinity });
      continue;
    }
    const a = assemble(g.shape, parts);
    const err = assemblyError(a, g);
    dumpTensor(dump, `ref/${name}.grad`, g);
    dumpAssemblies(dump, `sim/${name}.grad`, [a], g.shape);
    const passed = err !== null && err.maxRel <= tol.grad;
    grads.push({ name, kind: 'grad', maxAbs: err?.maxAbs ?? Infinity, maxRel: err?.maxRel ?? Infinity, tolerance: tol.grad, passed, shape: g.shape });
    if (!passed && !first) {
      const r0 = recs[0].rec;
      const d = naiveFusedSplit(r0.fused, r0.placement?.kind === 'shard' ? r0.placement.ranges : undefined, name, tp);
      diverge({ where: name, kind: 'grad', message: `the gradient of ${name} differs from the unsharded model${err ? ` (max |Δ| ${fmtNum(err.maxAbs)})` : ' (shape mismatch)'}${d ? `: ${d.message}` : ''}`, maxAbs: err?.maxAbs ?? Infinity });
    }
    disposeAssemblies([a]);
  }

  if (first) first = withFusedHint(first, sh, tp);
  return { passed: !first, loss: lossInfo, outputs, grads, firstDivergence: first };
}

// ------------------------------------------------------------------ helpers

interface RankPart {
  readonly rank: number;
  readonly captured: Captured;
}

/**
 * The sharded side of one reference call: per data-parallel group, tp-ordered parts. With
 * micro-batches a module runs m times per reference call; its outputs are concatenated along
 * the batch dim (unless each already has the reference's shape, e.g. position embeddings).
 */
function collect(sh: ShardedRecord, rc: ModuleCall, pick: (c: ModuleCall) => Captured | undefined): { groups: RankPart[][]; builtAt?: SourceLocation } {
  const mesh = sh.mesh;
  const m = sh.microbatches ?? 1;
  const byDp = new Map<number, RankPart[]>();
  let builtAt: SourceLocation | undefined;
  sh.captures.forEach((cap, rank) => {
    if (!cap) return;
    const calls = cap.calls.filter((x) => x.path === rc.path).sort((a, b) => a.call - b.call);
    const mine = calls.length > rc.call * m ? calls.slice(rc.call * m, rc.call * m + m) : [];
    if (mine.length === 0) return;
    builtAt ??= mine[0].builtAt;
    const vals = mine.map(pick);
    if (vals.some((v) => !v)) return;
    const v = joinMicrobatches(vals as Captured[], rc);
    const dp = mesh.has('dp') ? mesh.coord(rank, 'dp') : 0;
    const list = byDp.get(dp) ?? [];
    list.push({ rank, captured: v });
    byDp.set(dp, list);
  });
  const tpOf = (r: number) => (mesh.has('tp') ? mesh.coord(r, 'tp') : 0);
  const groups = [...byDp.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l.sort((a, b) => tpOf(a.rank) - tpOf(b.rank)));
  return { groups, builtAt };
}

function joinMicrobatches(vals: Captured[], rc: ModuleCall): Captured {
  if (vals.length === 1) return vals[0];
  const ref = rc.output.shape;
  if (vals[0].shape.length === ref.length && vals[0].shape.every((d, i) => d === ref[i])) return vals[0];
  if (vals.some((v) => !v.data)) return vals[0];
  const data = tf.concat(vals.map((v) => v.data!), 0);
  return { shape: data.shape, data, hint: vals[0].hint };
}

type GroupCompare = { kind: 'ok'; err: ErrorStats; assemblies: Assembly[] } | { kind: 'mismatch'; shapes: readonly (readonly number[])[] };

/**
 * Assemble each dp group and compare it with the reference: a group holding the whole tensor
 * (replicated over dp, e.g. a position embedding) is compared whole, otherwise with its rows.
 */
function compareGroups(groups: RankPart[][], ref: tf.Tensor, dense: readonly number[]): GroupCompare {
  const ndp = groups.length;
  const assemblies: Assembly[] = [];
  let err = ZERO_ERROR;
  for (let j = 0; j < ndp; j++) {
    const parts = groups[j].map((g) => g.captured);
    // a replica's rows first (so a tp shard is never mistaken for a dp slice), then the whole
    let a: Assembly = { kind: 'mismatch', shapes: parts.map((p) => p.shape) };
    let refJ = ref;
    if (ndp > 1 && dense.length > 0 && dense[0] % ndp === 0) {
      const rows = dense[0] / ndp;
      const shapeJ = [rows, ...dense.slice(1)];
      a = assemble(shapeJ, parts);
      if (a.kind !== 'mismatch') refJ = tf.slice(ref, [j * rows, ...dense.slice(1).map(() => 0)], shapeJ);
    }
    if (a.kind === 'mismatch') a = assemble(dense, parts);
    assemblies.push(a);
    if (a.kind === 'mismatch') return { kind: 'mismatch', shapes: a.shapes };
    const e = assemblyError(a, refJ);
    if (refJ !== ref) refJ.dispose();
    if (!e) return { kind: 'mismatch', shapes: parts.map((p) => p.shape) };
    err = worst(err, e);
  }
  return { kind: 'ok', err, assemblies };
}

function assemblyError(a: Assembly, ref: tf.Tensor): ErrorStats | null {
  if (a.kind === 'mismatch') return null;
  if (a.kind === 'sharded') return errorStats(a.dense, ref);
  // replicated values are often one buffer on every rank (share.ts): compared once
  const seen = new Map<object, ErrorStats>();
  let e = ZERO_ERROR;
  for (const t of a.perRank) {
    let s = seen.get(t.dataId);
    if (!s) seen.set(t.dataId, (s = errorStats(t, ref)));
    e = worst(e, s);
  }
  return e;
}

function disposeAssemblies(as: Assembly[]): void {
  for (const a of as) if (a.kind === 'sharded') a.dense.dispose();
}

function explainOutput(sh: ShardedRecord, ref: ReferenceRecord, rc: ModuleCall, parts: { groups: RankPart[][] }, cmp: GroupCompare, tp: number): Diagnosis | null {
  const g0 = parts.groups[0];
  const rank = g0[0].rank;
  if (cmp.kind === 'mismatch') return shapeMismatch(cmp.shapes, rc.output.shape, rc.path, sh.trace, rank);
  if (parts.groups.length !== 1) return null;
  const out = g0[0].captured.data;
  const refOut = rc.output.data!;
  if (out && g0.every((p) => p.captured.shape.length === refOut.shape.length && p.captured.shape.every((d, i) => d === refOut.shape[i]))) {
    const bias = ref.values.get(rc.path ? `${rc.path}.bias` : 'bias') ?? null;
    const b = biasCountedTwice(out, refOut, bias, tp, rc.path, sh.trace, rank);
    if (b) return b;
    return missingReduce(g0.map((p) => p.captured), refOut, rc.path, sh.trace, g0.map((p) => p.rank), 'output', bias);
  }
  return null;
}

/** Parameter records for a dense name on the first data-parallel replica and first stage holding it, tp-ordered. */
function paramShards(sh: ShardedRecord, mesh: Mesh, name: string): { rank: number; rec: ParamRecord }[] {
  let out: { rank: number; rec: ParamRecord }[] = [];
  sh.params.forEach((m, rank) => {
    if (mesh.has('dp') && mesh.coord(rank, 'dp') !== 0) return;
    const rec = m.get(name);
    if (rec) out.push({ rank, rec });
  });
  if (mesh.has('pp') && out.length) {
    const first = minOf(out.map((o) => mesh.coord(o.rank, 'pp')));
    out = out.filter((o) => mesh.coord(o.rank, 'pp') === first);
  }
  const tpOf = (r: number) => (mesh.has('tp') ? mesh.coord(r, 'tp') : 0);
  return out.sort((a, b) => tpOf(a.rank) - tpOf(b.rank));
}

/**
 * Add the fused-split hint to a divergence in the block that holds a fused weight split
 * contiguously (the attention's c_attn), and point at the line that split it.
 */
function withFusedHint(d: Divergence, sh: ShardedRecord, tp: number): Divergence {
  const where = d.where.replace(/ \(call \d+\)$/, '').replace(/^d\(input of (.*)\)$/, '$1');
  for (const m of sh.params[0]?.values() ?? []) {
    const h = naiveFusedSplit(m.fused, m.placement?.kind === 'shard' ? m.placement.ranges : undefined, m.name, tp);
    if (!h) continue;
    const block = parentOf(m.module);
    if (where === m.module || where.startsWith(`${block}.`) || where === block) {
      return d.message.includes('splitFused') ? d : { ...d, message: `${d.message}. Likely cause: ${h.message}`, source: m.builtAt ?? d.source };
    }
  }
  return d;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('.');
  return i < 0 ? '' : path.slice(0, i);
}

function label(c: ModuleCall): string {
  const base = c.path || 'model';
  return c.call > 0 ? `${base} (call ${c.call + 1})` : base;
}

export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2);
}
