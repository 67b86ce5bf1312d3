import type { Report, TimelineEvent } from '../report/types.js';
import { esc } from './escape.js';
import { fmtUs } from './units.js';
import { maxOf } from '../report/format.js';

export const KIND_COLOR = { compute: '#4e79a7', comm: '#f28e2b', wait: '#bab0ac' } as const;

const WIDTH = 1100;
const LABEL = 190;
const ROW = 20;
const MAX_RANKS = 64;

/**
 * A per-rank Gantt chart of the simulated step as inline SVG: one row per rank, compute /
 * communication / waiting in three colors (backward and optimizer phases lighter). Events
 * narrower than a pixel are merged with their neighbours of the same kind, so a run with
 * tens of thousands of ops stays a small file; every bar has a tooltip (<title>).
 */
export function timelineSvg(r: Report): string {
  const t = r.timeline;
  const end = maxOf(t.perRank.map((p) => p.endUs), Math.max(t.stepTimeUs, 1e-9));
  const ranks = Math.min(r.mesh.worldSize, MAX_RANKS);
  const plotW = WIDTH - LABEL - 10;
  const x = (us: number) => LABEL + (plotW * us) / end;
  const height = ranks * ROW + 34;
  const parts: string[] = [];
  parts.push(`<svg class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="timeline of ${ranks} ranks">`);
  for (let i = 0; i <= 5; i++) {
    const us = (end * i) / 5;
    const xi = x(us);
    parts.push(`<line x1="${xi.toFixed(1)}" y1="0" x2="${xi.toFixed(1)}" y2="${ranks * ROW}" class="grid"/>`);
    parts.push(`<text x="${xi.toFixed(1)}" y="${ranks * ROW + 14}" class="tick" text-anchor="${i === 0 ? 'start' : i === 5 ? 'end' : 'middle'}">${esc(fmtUs(us))}</text>`);
  }
  const byRank = new Map<number, TimelineEvent[]>();
  for (const e of t.events) {
    if (e.rank >= ranks) continue;
    const l = byRank.get(e.rank) ?? [];
    l.push(e);
    byRank.set(e.rank, l);
  }
  for (let rank = 0; rank < ranks; rank++) {
    const y = rank * ROW;
    const c = r.mesh.coords[rank] ?? {};
    const coords = Object.entries(c).filter(([a]) => (r.mesh.sizes[r.mesh.axes.indexOf(a)] ?? 1) > 1).map(([a, v]) => `${a}${v}`).join(' ');
    parts.push(`<text x="4" y="${y + 14}" class="rank">rank ${rank}${coords ? ` · ${esc(coords)}` : ''}</text>`);
    parts.push(`<rect x="${LABEL}" y="${y + 2}" width="${plotW}" height="${ROW - 4}" class="lane"/>`);
    for (const bar of merge(byRank.get(rank) ?? [], x)) {
      const w = Math.max(0.6, bar.x1 - bar.x0);
      const op = bar.phase === 'forward' ? 1 : bar.phase === 'backward' ? 0.72 : 0.5;
      parts.push(`<rect x="${bar.x0.toFixed(2)}" y="${y + 3}" width="${w.toFixed(2)}" height="${ROW - 6}" fill="${KIND_COLOR[bar.kind]}" fill-opacity="${op}"><title>${esc(bar.title)}</title></rect>`);
    }
  }
  parts.push('</svg>');
  if (r.mesh.worldSize > MAX_RANKS) parts.push(`<p class="note">showing the first ${MAX_RANKS} of ${r.mesh.worldSize} ranks</p>`);
  if (t.truncated) parts.push(`<p class="note">the report keeps the first ${t.events.length} timeline events; later ones are not drawn</p>`);
  return parts.join('\n');
}

interface Bar {
  x0: number;
  x1: number;
  readonly kind: TimelineEvent['kind'];
  readonly phase: string;
  n: number;
  title: string;
}

function merge(events: readonly TimelineEvent[], x: (us: number) => number): Bar[] {
  const bars: Bar[] = [];
  const last: Partial<Record<TimelineEvent['kind'], Bar>> = {};
  for (const e of [...events].sort((a, b) => a.startUs - b.startUs)) {
    const x0 = x(e.startUs);
    const x1 = x(e.endUs);
    const prev = last[e.kind];
    if (prev && prev.phase === e.phase && x0 - prev.x1 < 0.5 && (x1 - x0 < 1 || prev.x1 - prev.x0 < 1)) {
      prev.x1 = Math.max(prev.x1, x1);
      prev.n++;
      prev.title = `${prev.n} ${e.kind} events (${e.phase})`;
      continue;
    }
    const bar: Bar = { x0, x1, kind: e.kind, phase: e.phase, n: 1, title: describe(e) };
    bars.push(bar);
    last[e.kind] = bar;
  }
  return bars;
}

function describe(e: TimelineEvent): string {
  const where = e.source ? ` · ${e.source.file.split(/[\\/]/).pop()}:${e.source.line}` : '';
  return `${e.name}${e.module ? ` · ${e.module}` : ''} · ${e.phase} · ${fmtUs(e.endUs - e.startUs)}${e.ledgerSeq !== undefined ? ` · ledger #${e.ledgerSeq}` : ''}${where}`;
}
