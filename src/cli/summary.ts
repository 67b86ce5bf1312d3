import * as path from 'node:path';
import type { Report, ShardInfo } from '../report/types.js';
import { callCount, collectiveRows, moduleRows, shardRows } from '../report-html/rows.js';
import { fmtBytes, fmtCount, fmtElements, fmtErr, fmtMs, fmtRanks, fmtShape, fmtSource, fmtUs, table } from './format.js';
import { errorsLine, referenceOf } from '../report/verdict.js';
import { shownAxes } from '../report/format.js';

export interface SummaryOptions {
  /** Rows of the traffic ledger to print before "… more" (default 40). */
  readonly maxLedgerRows?: number;
  readonly maxShardRows?: number;
  readonly cwd?: string;
}

/**
 * The text summary `autodist simulate` prints: the mesh and its stages, the shard shapes, the
 * traffic ledger with totals by phase, time and memory estimates, and the verdict with the first
 * divergence at its file:line.
 */
export function summarize(r: Report, o: SummaryOptions = {}): string {
  const cwd = o.cwd ?? process.cwd();
  const out: string[] = [];
  const script = r.script ? path.basename(r.script) : 'simulation';
  out.push(`AutoDist ${r.tool.version} · ${script} · ${r.mode} mode · backend ${r.backend ?? '?'} · ${r.hardware.name} (${r.hardware.gpusPerNode} GPUs/node)`);
  out.push('');
  if (r.mesh.worldSize > 0) out.push(...meshSection(r));
  if (r.model) out.push(`Model   ${r.model.name}, ${fmtCount(r.model.params)} parameters${r.batch ? ` · input B=${r.batch.batch}, S=${r.batch.seq}${r.batch.microbatches > 1 ? `, ${r.batch.microbatches} microbatches` : ''}` : ''}`);
  if (r.shards.length) out.push('', ...shardSection(r.shards, o.maxShardRows ?? 60, cwd));
  if (r.modules.length) out.push('', ...moduleSection(r, o.maxShardRows ?? 60, cwd));
  if (r.collectives.length) out.push('', ...trafficSection(r, o.maxLedgerRows ?? 40, cwd));
  else if (r.mesh.worldSize > 0 && !r.errors.length) out.push('', 'Traffic none: no rank sent anything');
  if (r.timeline.stepTimeUs > 0) out.push('', ...timeMemorySection(r));
  out.push('', ...verdictSection(r, cwd));
  return out.join('\n');
}

function meshSection(r: Report): string[] {
  const m = r.mesh;
  const size = (a: string) => m.sizes[m.axes.indexOf(a)] ?? 1;
  const desc = shownAxes(m.axes, size).map((a) => `${a}=${size(a)}`).join(' × ');
  const lines = [`Mesh    ${desc} = ${m.worldSize} rank${m.worldSize > 1 ? 's' : ''}${r.folded?.axes.length ? ` (folded along ${r.folded.axes.join(', ')}: ranks ${fmtRanks(r.folded.representatives)} ran, the others mirror them)` : ''}`];
  if (m.worldSize <= 16 && m.worldSize > 1) {
    const axes = m.axes.filter((_, i) => m.sizes[i] > 1);
    lines.push(table(['rank', ...axes], m.coords.map((c, rank) => [String(rank), ...axes.map((a) => String(c[a] ?? 0))]), [true, ...axes.map(() => true)], '        '));
  }
  for (const s of r.stages) {
    const layers = s.layers.length ? ` · ${s.layers.length > 6 ? `${s.layers[0]} … ${s.layers[s.layers.length - 1]} (${s.layers.length})` : s.layers.join(', ')}` : '';
    lines.push(`Stage ${s.stage}  ranks ${fmtRanks(s.ranks)}${layers}`);
  }
  return lines;
}

function shardSection(shards: readonly ShardInfo[], max: number, cwd: string): string[] {
  const all = shardRows(shards, { foldLayers: true });
  const body = all.slice(0, max).map(({ shard: s, ranks, module }) => [module || '(root)', s.param, fmtRanks(ranks), fmtShape(s.globalShape), '→', fmtShape(s.localShape), s.placement, s.kind, fmtSource(s.source, cwd)]);
  const lines = ['Shards (per rank: global → local shape, placement)', table(['module', 'param', 'ranks', 'global', '', 'local', 'placement', 'layer', 'line'], body)];
  if (all.length > max) lines.push(`  … ${all.length - max} more rows (--json has them all)`);
  return lines;
}

/** Each module's output on a rank (the seed's Yᵢ, Zᵢ), beside the unsharded model's. */
function moduleSection(r: Report, max: number, cwd: string): string[] {
  const all = moduleRows(r.modules, { foldLayers: true });
  const dense = all.some((x) => x.m.denseOutputShape);
  const body = all.slice(0, max).map(({ m, ranks, module }) => [module || '(root)', fmtRanks(ranks), fmtShape(m.outputShape), ...(dense ? [fmtShape(m.denseOutputShape)] : []), m.kind, fmtSource(m.source, cwd)]);
  const lines = [
    `Module outputs (the shape each rank holds after the module${dense ? '; unsharded: the reference model\'s' : ''})`,
    table(['module', 'ranks', 'per rank', ...(dense ? ['unsharded'] : []), 'layer', 'line'], body),
  ];
  if (all.length > max) lines.push(`  … ${all.length - max} more rows (--json has them all)`);
  return lines;
}

/** The ledger, identical calls of different groups (e.g. each dp replica's tp group) merged. */
function trafficSection(r: Report, max: number, cwd: string): string[] {
  const all = collectiveRows(r.collectives, { foldLayers: true });
  const body = all.slice(0, max).map(({ c, calls, module }) => [
    String(c.seq),
    c.op + (c.reduceOp && c.reduceOp !== 'sum' ? `(${c.reduceOp})` : ''),
    c.axis ?? c.group,
    c.phase,
    module,
    calls > 1 ? `×${calls}` : '',
    fmtElements(c.elements, c.dtype, c.bytes),
    fmtElements(c.sentBytesPerRank / (c.bytes / c.elements || 1), c.dtype, c.sentBytesPerRank),
    c.algorithm,
    fmtElements(c.wireBytes / (c.bytes / c.elements || 1), c.dtype, c.wireBytes),
    fmtUs(c.timeUs),
    fmtSource(c.source, cwd),
  ]);
  const count = callCount(r);
  const lines = [
    `Traffic (${count} collective call${count === 1 ? '' : 's'} and transfers; # = first ledger entry, logical = nccl-tests size, sent per rank = what each rank sends, wire = all ranks' sends together; per call)`,
    table(['#', 'op', 'axis', 'phase', 'module', 'calls', 'logical', 'sent per rank', 'algorithm', 'wire (all ranks)', 'time', 'line'], body, [true, false, false, false, false, false, true, true, false, true, true, false]),
  ];
  if (all.length > max) lines.push(`  … ${all.length - max} more rows (--json has them all)`);
  const phases = Object.entries(r.traffic.byPhase);
  lines.push('  totals by phase:');
  lines.push(table(['phase', 'calls', 'logical', 'wire'], phases.map(([p, t]) => [p, String(t.count), fmtBytes(t.bytes), fmtBytes(t.wireBytes)]), [false, true, true, true], '    '));
  lines.push(`    all      ${count} calls, ${fmtBytes(r.traffic.totalBytes)} logical, ${fmtBytes(r.traffic.totalWireBytes)} on the wire`);
  return lines;
}

function timeMemorySection(r: Report): string[] {
  const t = r.timeline;
  const slowest = t.perRank.reduce((a, b) => (b.endUs > a.endUs ? b : a), t.perRank[0]);
  const lines = [
    `Time    step ${fmtUs(t.stepTimeUs)} on ${r.hardware.name} (slowest rank ${slowest.rank}: compute ${fmtUs(slowest.computeUs)}, communication ${fmtUs(slowest.commUs)}, waiting ${fmtUs(slowest.waitUs)}); idle ${(100 * t.bubbleFraction).toFixed(1)} % of the step (no compute, no blocking communication)`,
  ];
  const pl = r.pipeline;
  if (pl) {
    const formula = pl.virtual > 1 ? `(p−1)/(v·m) = ${pl.stages - 1}/(${pl.virtual}·${pl.microbatches})` : `(p−1)/m = ${pl.stages - 1}/${pl.microbatches}`;
    const uneven = pl.bubbleUneven !== undefined && pl.stageBusyUs
      ? `stages uneven (busy ${fmtUs(Math.min(...pl.stageBusyUs))} to ${fmtUs(Math.max(...pl.stageBusyUs))}): measured ${pl.bubbleMeasured.toFixed(3)} (idle ÷ busy per stage) vs ${pl.bubbleUneven.toFixed(3)} estimated from the stages' times, ${formula} = ${pl.bubbleFormula.toFixed(3)} for equal stages`
      : `measured ${pl.bubbleMeasured.toFixed(3)} (idle ÷ busy per stage) vs ${formula} = ${pl.bubbleFormula.toFixed(3)}`;
    const stash = pl.virtual > 1 ? `peak stashed chunk-micro-batches per stage (one micro-batch of one of the ${pl.virtual} chunks each)` : 'peak stashed micro-batches per stage';
    lines.push(`Bubble  ${pl.schedule}: ${uneven}; ${stash} ${pl.peakStash.join(', ')}${pl.replayed ? `; ${pl.replayed} steady micro-batch forwards/backwards replayed from their record (meta)` : ''}`);
  }
  const mem = r.memory.perRank;
  if (mem.length) {
    const peak = mem.reduce((a, b) => (b.peakBytes > a.peakBytes ? b : a), mem[0]);
    lines.push(`Memory  peak ${fmtBytes(peak.peakBytes)} on rank ${peak.rank} (parameters, gradients and optimizer states ${fmtBytes(peak.persistentBytes)}, activations ${fmtBytes(peak.peakTransientBytes)}) of ${fmtBytes(r.memory.deviceBytes)} per GPU — ${r.memory.fits ? 'fits' : 'DOES NOT FIT'}`);
  }
  lines.push(`Wall    ${fmtMs(r.wallMs)} to simulate`);
  return lines;
}

function verdictSection(r: Report, cwd: string): string[] {
  const v = r.verification;
  const lines: string[] = [];
  for (const w of r.warnings ?? []) {
    lines.push(`⚠ WARNING  ${w.message}${w.source ? `  (${fmtSource(w.source, cwd)})` : ''}`);
    if (w.fix) lines.push(`    fix: ${w.fix}`);
  }
  if (r.errors.length) {
    const e = r.errors[0];
    lines.push(`✗ ERROR  ${e.headline}${e.source ? `  (${fmtSource(e.source, cwd)})` : ''}`);
    for (const rk of e.ranks.slice(0, 8)) lines.push(`    rank ${rk.rank}: ${rk.detail}${rk.source ? ` at ${fmtSource(rk.source, cwd)}` : ''}`);
    if (e.ranks.length > 8) lines.push(`    … ${e.ranks.length - 8} more ranks`);
    if (e.fix) lines.push(`    fix: ${e.fix}`);
    // Other errors, once each (every rank that hit the same problem reports it).
    const seen = new Set([unranked(e.headline)]);
    const others = r.errors.slice(1).filter((x) => !seen.has(unranked(x.headline)) && seen.add(unranked(x.headline)));
    for (const more of others.slice(0, 3)) lines.push(`  also: ${more.headline}${more.source ? ` (${fmtSource(more.source, cwd)})` : ''}`);
    // the verifier may have found where it went wrong upstream of the error (a layer whose output
    // was already wrong): the most specific diagnosis, at the person's line, on the terminal too
    const d = v.firstDivergence;
    if (d) {
      lines.push(`  first divergence, before the error: ${d.message}`);
      if (d.source) lines.push(`    at ${fmtSource(d.source, cwd)}${d.rank !== undefined ? ` · rank ${d.rank}` : ''}`);
    }
    return lines;
  }
  if (v.skipped) {
    lines.push(`✓ ran without errors; not verified: ${v.skipped}`);
    return lines;
  }
  const maxOf = (xs: readonly { maxAbs: number }[]) => xs.reduce((m, x) => Math.max(m, x.maxAbs), 0);
  if (v.passed) {
    lines.push(`✓ VERIFIED against ${referenceOf(v)}: ${errorsLine(v)}${v.loss ? ` · loss ${v.loss.sharded.toPrecision(6)} vs ${v.loss.reference.toPrecision(6)}` : ''}`);
    return lines;
  }
  const d = v.firstDivergence;
  lines.push(`✗ NOT VERIFIED: ${d ? d.message : `the sharded run differs from ${referenceOf(v)}`}`);
  if (d?.source) lines.push(`    at ${fmtSource(d.source, cwd)}${d.builtAt && (d.builtAt.line !== d.source.line || d.builtAt.file !== d.source.file) ? ` (layer built at ${fmtSource(d.builtAt, cwd)})` : ''}${d.rank !== undefined ? ` · rank ${d.rank}` : ''}`);
  const failed = [...v.outputs, ...v.grads].filter((c) => !c.passed);
  if (failed.length) {
    lines.push(table(['check', 'kind', 'max |Δ|', 'relative', 'tolerance (relative)', 'line'], failed.slice(0, 12).map((c) => [c.name, c.kind, fmtErr(c.maxAbs), fmtErr(c.maxRel), fmtErr(c.tolerance), fmtSource(c.source, cwd)]), [false, false, true, true, true, false]));
    if (failed.length > 12) lines.push(`  … ${failed.length - 12} more failed checks`);
  }
  return lines;
}

function unranked(headline: string): string {
  return headline.replace(/^rank \d+: /, '');
}
