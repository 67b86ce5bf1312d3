/**
 * What a run learned about each line of the person's code: the sharded modules built there, their
 * output shapes, the collectives issued from there — and the texts the inline hints, hovers and
 * CodeLens show for them. Pure (no `vscode`): the providers only place these texts.
 */
import type { CollectiveInfo, MeshInfo, ModuleShapeInfo, Report, ShardInfo, SourceRef } from '../../report/types.js';
import type { Verdict } from '../../protocol.js';
import { fmtBytes, fmtDims, fmtInt, fmtOp, fmtPhase, fmtShape, fmtUs } from '../format.js';
import { maxOf } from '../../report/format.js';

export interface LineFacts {
  readonly file: string;
  /** 1-based, as in the report. */
  readonly line: number;
  readonly shards: readonly ShardInfo[];
  readonly modules: readonly ModuleShapeInfo[];
  readonly collectives: readonly CollectiveInfo[];
}

/** Facts per file (as the report names it) and per 1-based line. */
export type FactsByFile = Map<string, Map<number, LineFacts>>;

export function factsOf(r: Report): FactsByFile {
  const out: FactsByFile = new Map();
  const at = (s: SourceRef) => {
    let f = out.get(s.file);
    if (!f) out.set(s.file, (f = new Map()));
    let l = f.get(s.line);
    if (!l) f.set(s.line, (l = { file: s.file, line: s.line, shards: [], modules: [], collectives: [] }));
    return l as unknown as { shards: ShardInfo[]; modules: ModuleShapeInfo[]; collectives: CollectiveInfo[] };
  };
  for (const s of r.shards) if (s.source && s.source.line > 0) at(s.source).shards.push(s);
  for (const m of r.modules) if (m.source && m.source.line > 0) at(m.source).modules.push(m);
  for (const c of r.collectives) if (c.source && c.source.line > 0) at(c.source).collectives.push(c);
  return out;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const isSharded = (s: ShardInfo): boolean => prod(s.localShape) !== prod(s.globalShape);
const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

/** "tp=4" for a tensor split 4 ways, naming the mesh axis of that size (tp first). */
function degreeLabel(mesh: MeshInfo, degree: number): string {
  const axes = mesh.axes.map((a, i) => [a, mesh.sizes[i]] as const).filter(([, n]) => n === degree && n > 1);
  const axis = axes.find(([a]) => a === 'tp') ?? axes[0];
  return axis ? `${axis[0]}=${degree}` : `${degree} shards`;
}

/** The weight of a line's module (or its first sharded parameter), on the lowest rank. */
function mainShard(shards: readonly ShardInfo[]): ShardInfo | undefined {
  const sorted = [...shards].sort((a, b) => a.rank - b.rank);
  return sorted.find((s) => s.param === 'weight' && isSharded(s)) ?? sorted.find(isSharded) ?? sorted.find((s) => s.param === 'weight');
}

const paramLetter = (p: string): string => (p === 'weight' ? 'W' : p === 'bias' ? 'b' : p);

/**
 * VS Code cuts an inlay hint's label after 43 characters unless the person raised
 * `editor.inlayHints.maximumLength`; hints are written to fit, dropping the least useful part
 * first (the hover has everything).
 */
export const MAX_HINT_LENGTH = 43;

/** The first text that fits in `max` characters, else the last one cut with "…". */
export function fitHint(texts: readonly string[], max = MAX_HINT_LENGTH): string | undefined {
  const fit = texts.find((t) => t.length <= max);
  if (fit !== undefined) return fit;
  const last = texts[texts.length - 1];
  return last === undefined ? undefined : `${last.slice(0, max - 1).trimEnd()}…`;
}

/**
 * The split of a line's sharded module, as short as needed:
 * "tp=4 · W[1024×4096]→[1024×1024] · out [8,128,1024]" (global → local shape of this rank's
 * shard) when it fits, else "tp=4 · W→[1024×1024] · out [8,128,1024]" (the local shard
 * shape), else without the output shape.
 */
export function shardSummary(f: LineFacts, mesh: MeshInfo, max = MAX_HINT_LENGTH): string | undefined {
  const s = mainShard(f.shards);
  if (!s) return undefined;
  const names = unique(f.shards.map((x) => x.module));
  const degree = Math.round(prod(s.globalShape) / Math.max(1, prod(s.localShape)));
  const split = degree > 1 ? `${degreeLabel(mesh, degree)} · ` : '';
  const p = paramLetter(s.param);
  const many = names.length > 1 ? ` ×${names.length} modules` : '';
  const ws = isSharded(s) ? [`${p}[${fmtDims(s.globalShape)}]→[${fmtDims(s.localShape)}]`, `${p}→[${fmtDims(s.localShape)}]`] : [`${p}[${fmtDims(s.localShape)}] replicated`];
  const out = outputSummary(f);
  // the local shard shape matters most, then the output's, then the global shape
  const texts = out ? ws.map((w) => `${split}${w}${many} · ${out}`) : [];
  texts.push(`${split}${ws[ws.length - 1]}${many}`);
  return fitHint(texts, max);
}

function outputSummary(f: LineFacts): string | undefined {
  const m = [...f.modules].sort((a, b) => a.rank - b.rank)[0];
  return m ? `out ${fmtShape(m.outputShape, true)}` : undefined;
}

/**
 * A line's collectives, as short as needed: "all-reduce fwd 4.0 MiB · ring 6.0 MiB sent/rank"
 * when it fits, else "all-reduce fwd 4.0 MiB · 6.0 MiB sent/rank", else "all-reduce fwd 4.0 MiB"
 * ("3× …" for repeated calls, "… + 2 more" for other kinds).
 */
export function collectiveSummary(cs: readonly CollectiveInfo[], max = MAX_HINT_LENGTH): string | undefined {
  if (!cs.length) return undefined;
  const groups = new Map<string, { c: CollectiveInfo; n: number }>();
  for (const c of cs) {
    const k = [c.op, c.phase, c.bytes, c.algorithm, c.sentBytesPerRank].join('|');
    const g = groups.get(k);
    if (g) g.n++;
    else groups.set(k, { c, n: 1 });
  }
  const gs = [...groups.values()];
  const forms = [
    ({ c, n }: { c: CollectiveInfo; n: number }) => `${n > 1 ? `${n}× ` : ''}${fmtOp(c.op)} ${fmtPhase(c.phase)} ${fmtBytes(c.bytes)} · ${c.algorithm} ${fmtBytes(c.sentBytesPerRank)} sent/rank`,
    ({ c, n }: { c: CollectiveInfo; n: number }) => `${n > 1 ? `${n}× ` : ''}${fmtOp(c.op)} ${fmtPhase(c.phase)} ${fmtBytes(c.bytes)} · ${fmtBytes(c.sentBytesPerRank)} sent/rank`,
    ({ c, n }: { c: CollectiveInfo; n: number }) => `${n > 1 ? `${n}× ` : ''}${fmtOp(c.op)} ${fmtPhase(c.phase)} ${fmtBytes(c.bytes)}`,
  ];
  const texts: string[] = [];
  for (let shown = Math.min(2, gs.length); shown >= 1; shown--) {
    const more = gs.length - shown;
    for (const form of forms) texts.push(`${gs.slice(0, shown).map(form).join(' + ')}${more ? ` + ${more} more` : ''}`);
  }
  return fitHint(texts, max);
}

/**
 * The inline hint of a line: what happens there in the forward pass, in at most 43 characters. A
 * line whose layer talks in forward (a row-parallel layer's all-reduce) shows that traffic; a
 * line that built a sharded layer without forward traffic (a column-parallel one) shows the split
 * and the output shape; backward-only traffic shows when nothing else does. Everything is in the
 * hover.
 */
export function hintText(f: LineFacts, mesh: MeshInfo): string | undefined {
  const fwd = f.collectives.filter((c) => c.phase === 'forward');
  if (fwd.length) return collectiveSummary(fwd);
  const out = outputSummary(f);
  return shardSummary(f, mesh) ?? collectiveSummary(f.collectives) ?? (out && fitHint([out]));
}

/** "tp=1" or "pp=0 tp=1": a rank's coordinates on the axes that have more than one rank. */
export function coordLabel(mesh: MeshInfo, rank: number): string {
  const c = mesh.coords[rank] ?? {};
  const parts = mesh.axes.filter((a, i) => mesh.sizes[i] > 1).map((a) => `${a}=${c[a] ?? 0}`);
  return parts.join(' ') || '—';
}

const MAX_HOVER_ROWS = 32;
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The hover of a line: the per-rank table of what was built there and its ledger entries. */
export function hoverMarkdown(f: LineFacts, mesh: MeshInfo): string {
  const lines: string[] = [];
  const mods = unique([...f.shards.map((s) => `${s.module || '(model)'} (${s.kind})`), ...f.modules.map((m) => `${m.module || '(model)'} (${m.kind})`)]);
  lines.push(`**AutoDist** · ${mods.length ? mods.join(', ') : 'collectives'} · line ${f.line}`);
  if (f.shards.length) {
    lines.push('', '| rank | coords | module | param | global | local | placement |', '|---:|---|---|---|---|---|---|');
    const order = (p: string) => (p === 'weight' ? 0 : p === 'bias' ? 1 : 2);
    const rows = [...f.shards].sort((a, b) => a.module.localeCompare(b.module) || a.rank - b.rank || order(a.param) - order(b.param) || a.param.localeCompare(b.param));
    for (const s of rows.slice(0, MAX_HOVER_ROWS)) lines.push(`| ${s.rank} | ${coordLabel(mesh, s.rank)} | ${cell(s.module)} | ${cell(s.param)} | ${fmtShape(s.globalShape)} | ${fmtShape(s.localShape)} | ${s.placement} |`);
    if (rows.length > MAX_HOVER_ROWS) lines.push(`| … | ${rows.length - MAX_HOVER_ROWS} more rows in the panel's Shards tab | | | | | |`);
  }
  if (f.modules.length) {
    lines.push('', '| rank | module | output (local) |', '|---:|---|---|');
    const rows = [...f.modules].sort((a, b) => a.module.localeCompare(b.module) || a.rank - b.rank);
    for (const m of rows.slice(0, MAX_HOVER_ROWS)) lines.push(`| ${m.rank} | ${cell(m.module)} | ${fmtShape(m.outputShape)} |`);
    if (rows.length > MAX_HOVER_ROWS) lines.push(`| … | ${rows.length - MAX_HOVER_ROWS} more | |`);
  }
  if (f.collectives.length) {
    lines.push('', `Collectives issued here (${f.collectives.length}):`, '', '| # | op | phase | group | shape | bytes | algorithm | sent/rank | wire | time |', '|---:|---|---|---|---|---:|---|---:|---:|---:|');
    for (const c of f.collectives.slice(0, MAX_HOVER_ROWS)) {
      lines.push(`| ${c.seq} | ${fmtOp(c.op)}${c.reduceOp ? ` (${c.reduceOp})` : ''} | ${c.phase} | ${c.axis ?? c.group} [${c.ranks.join(',')}] | ${fmtShape(c.shape)} ${c.dtype} | ${fmtInt(c.bytes)} (${fmtBytes(c.bytes)}) | ${c.algorithm} | ${fmtBytes(c.sentBytesPerRank)} | ${fmtBytes(c.wireBytes)} | ${fmtUs(c.timeUs)} |`);
    }
    if (f.collectives.length > MAX_HOVER_ROWS) lines.push(`| … | ${f.collectives.length - MAX_HOVER_ROWS} more in the panel's Traffic tab | | | | | | | | |`);
  }
  return lines.join('\n');
}

/** The CodeLens over the parallelize code: the run's verdict and its totals. */
export function lensText(r: Report, v: Verdict): string {
  const peak = maxOf(r.memory.perRank.map((m) => m.peakBytes), 0);
  const parts = [`AutoDist: ${v.text}`, `${r.mesh.worldSize} ranks`, `${r.collectives.length} collective${r.collectives.length === 1 ? '' : 's'} ${fmtBytes(r.traffic.totalBytes)}`];
  if (r.timeline.stepTimeUs > 0) parts.push(`step ${fmtUs(r.timeline.stepTimeUs)}`);
  if (peak > 0) parts.push(`peak ${fmtBytes(peak)}/rank`);
  return parts.join(' · ');
}

/**
 * 0-based line for the CodeLens: the parallelize code, else the plan, else `simulation(`; in a
 * Python file (`python`), where it starts its process group or device mesh.
 */
export function lensLine(text: string, python = false): number | undefined {
  const lines = text.split(/\r?\n/);
  const marks = python ? [/\binit_process_group\s*\(/, /\binit_device_mesh\s*\(/, /^if\s+__name__\s*==/] : [/\bparallelize\s*[(:]/, /\bplan\s*:/, /\bsimulation\s*\(/];
  for (const re of marks) {
    const i = lines.findIndex((l) => re.test(l) && !/^\s*#/.test(l));
    if (i >= 0) return i;
  }
  return undefined;
}
