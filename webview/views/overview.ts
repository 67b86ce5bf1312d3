/**
 * Overview: the verdict, the mesh as a grid (dp × pp × tp; each rank colored by its pipeline
 * stage and labeled with its coordinates), and the estimates: step time, traffic, memory.
 */
import type { MeshInfo } from '../../src/report/types.js';
import { h, replace } from '../dom.js';
import { fmtBytes, fmtInt, fmtPct, fmtUs } from '../format.js';
import { errorsOf, meshOf, recordedCollectives, trafficOf, type PanelState } from '../state.js';
import { withAlpha } from '../theme.js';
import { emptyNote, type View, type ViewContext } from './view.js';
import { maxOf, shownAxes } from '../../src/report/format.js';

/** Ranks grouped for the grid: one block per combination of the axes other than pp and tp. */
export function meshLayout(mesh: MeshInfo): { readonly label: string; readonly rows: number[][] }[] {
  const size = (a: string) => mesh.sizes[mesh.axes.indexOf(a)] ?? 1;
  const pp = mesh.axes.includes('pp') ? size('pp') : 1;
  const tp = mesh.axes.includes('tp') ? size('tp') : 1;
  const outer = mesh.axes.filter((a) => a !== 'pp' && a !== 'tp' && size(a) > 1);
  const blocks = new Map<string, number[][]>();
  for (let r = 0; r < mesh.worldSize; r++) {
    const c = mesh.coords[r] ?? {};
    const key = outer.map((a) => `${a}=${c[a] ?? 0}`).join(' ');
    let b = blocks.get(key);
    if (!b) blocks.set(key, (b = Array.from({ length: pp }, () => new Array<number>(tp).fill(-1))));
    b[c.pp ?? 0][c.tp ?? 0] = r;
  }
  return [...blocks.entries()].map(([label, rows]) => ({ label, rows }));
}

/** The run's verdict (or where it is while it runs), colored by outcome. */
export function verdictBanner(s: PanelState): HTMLElement {
  if (s.phase === 'running') return h('div', { class: 'verdict running', role: 'status' }, s.progress && s.progress.stage !== 'done' ? `${s.progress.message} (${Math.round(s.progress.percent)}%)` : 'running…');
  if (s.phase === 'failed') return h('div', { class: 'verdict failed', role: 'status' }, `${s.failure?.reason === 'cancelled' ? 'Stopped' : 'Failed'}: ${s.failure?.message ?? ''}`);
  if (!s.verdict) return h('div', { class: 'verdict' });
  return h('div', { class: `verdict ${s.verdict.status}`, role: 'status', 'data-status': s.verdict.status }, s.verdict.text);
}

const STATE_LABEL: Record<string, string> = { running: 'running', blocked: 'waiting', done: 'done', failed: 'failed' };

export class OverviewView implements View {
  constructor(
    private readonly el: HTMLElement,
    private readonly ctx: ViewContext,
  ) {}

  update(s: PanelState, force: boolean): void {
    if (s.phase === 'empty') {
      replace(this.el, emptyNote('No simulation yet. Run "AutoDist: Simulate" on a script (or use Re-run above).'));
      return;
    }
    replace(this.el, verdictBanner(s), this.summary(s), this.grid(s), this.estimates(s));
  }

  private summary(s: PanelState): HTMLElement {
    const r = s.report;
    const facts: [string, string][] = [];
    const model = r?.model?.name ?? s.live.model;
    if (model) facts.push(['model', r?.model ? `${model} (${(r.model.params / 1e6).toFixed(1)}M params)` : model]);
    const mesh = meshOf(s);
    if (mesh) facts.push(['mesh', `${mesh.axes.filter((_, i) => mesh.sizes[i] > 1).map((a) => `${a}=${mesh.sizes[mesh.axes.indexOf(a)]}`).join(' × ') || 'single rank'} → ${mesh.worldSize} rank${mesh.worldSize === 1 ? '' : 's'}`]);
    if (r?.batch) facts.push(['input', `batch ${r.batch.batch}, seq ${r.batch.seq}${r.batch.microbatches > 1 ? `, ${r.batch.microbatches} microbatches` : ''}`]);
    if (r) facts.push(['mode', `${r.mode}${r.backend ? ` · ${r.backend}` : ''} · ${r.hardware.name}`]);
    else if (s.run) facts.push(['mode', s.run.mode]);
    return h('div', { class: 'summary' }, h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
  }

  private grid(s: PanelState): HTMLElement {
    const mesh = meshOf(s);
    if (!mesh || mesh.worldSize === 0) return h('div', { class: 'mesh' }, emptyNote(s.phase === 'running' ? 'Loading the script…' : 'The run stopped before the mesh was known.'));
    const p = this.ctx.palette();
    const states = s.phase === 'running' ? s.live.ranks : [];
    const failed = new Set(errorsOf(s).flatMap((e) => e.ranks.map((x) => x.rank)));
    const size = (a: string) => mesh.sizes[mesh.axes.indexOf(a)] ?? 1;
    // dp × pp × tp first (how people say it), then any other axis of the mesh
    const axesShown = [...['dp', 'pp', 'tp'].filter((a) => mesh.axes.includes(a)), ...mesh.axes.filter((a) => !['dp', 'pp', 'tp'].includes(a) && size(a) > 1)];
    const blocks = meshLayout(mesh).map((b) =>
      h(
        'figure',
        { class: 'mesh-block' },
        b.label ? h('figcaption', null, b.label) : null,
        h(
          'div',
          { class: 'mesh-grid', role: 'grid', 'aria-label': `ranks ${b.label}`.trim() },
          b.rows.map((cols, stage) =>
            h(
              'div',
              { class: 'mesh-row', role: 'row' },
              h('span', { class: 'stage-label' }, `stage ${stage}`),
              cols.map((rank) => {
                if (rank < 0) return h('span', { class: 'rank-cell missing' });
                const c = mesh.coords[rank] ?? {};
                const color = p.stages[stage % p.stages.length];
                const st = states[rank];
                const cell = h(
                  'div',
                  { class: `rank-cell${failed.has(rank) ? ' failed' : ''}`, role: 'gridcell', 'data-rank': rank, 'data-stage': stage, title: `rank ${rank}: ${axesShown.map((a) => `${a}=${c[a] ?? 0}`).join(', ')}${st ? ` — ${STATE_LABEL[st]}` : ''}` },
                  h('span', { class: 'rank-id' }, `rank ${rank}`),
                  h('span', { class: 'rank-coords' }, axesShown.map((a) => `${a}${c[a] ?? 0}`).join(' · ')),
                  st ? h('span', { class: `rank-state ${st}` }, STATE_LABEL[st]) : null,
                );
                cell.style.backgroundColor = withAlpha(color, p.highContrast ? 0 : 0.22);
                cell.style.borderColor = color;
                return cell;
              }),
            ),
          ),
        ),
      ),
    );
    // dp, pp, tp (unless the mesh's only axes above 1 are others); any other axis when it has size > 1
    const shown = shownAxes(['dp', 'pp', 'tp', ...mesh.axes.filter((a) => !['dp', 'pp', 'tp'].includes(a) && size(a) > 1)], size);
    const dims = shown.map((a) => `${a} ${size(a)}`).join(' × ');
    return h('div', { class: 'mesh' }, h('h3', null, `Mesh: ${dims}`), h('div', { class: 'mesh-blocks' }, blocks));
  }

  private estimates(s: PanelState): HTMLElement {
    const r = s.report;
    const t = trafficOf(s);
    const items: [string, string, string?][] = [];
    if (r && r.timeline.stepTimeUs > 0) {
      const n = Math.max(1, r.timeline.perRank.length);
      const avg = (k: 'computeUs' | 'commUs' | 'waitUs') => r.timeline.perRank.reduce((a, x) => a + x[k], 0) / n;
      items.push(['step time', fmtUs(r.timeline.stepTimeUs), `compute ${fmtUs(avg('computeUs'))} · comm ${fmtUs(avg('commUs'))} · wait ${fmtUs(avg('waitUs'))} per rank (mean)`]);
      items.push(['idle', fmtPct(r.timeline.bubbleFraction), 'of the step, averaged over ranks (pipeline bubbles and waits)']);
    }
    const recorded = recordedCollectives(s);
    const calls = Object.values(t.byOp).reduce((a, x) => a + x.count, 0);
    items.push(['traffic', `${fmtBytes(t.totalBytes)}`, recorded === null ? `${calls} collectives · ${fmtBytes(t.totalWireBytes)} on the wire` : `so far, the first ${fmtInt(calls)} calls streamed (${fmtInt(recorded)} ledger entries recorded) · ${fmtBytes(t.totalWireBytes)} on the wire`]);
    if (r && r.memory.perRank.length) {
      const peak = maxOf(r.memory.perRank.map((m) => m.peakBytes));
      items.push(['memory', `${fmtBytes(peak)} peak/rank`, `${fmtPct(peak / r.memory.deviceBytes)} of ${fmtBytes(r.memory.deviceBytes)} — ${r.memory.fits ? 'fits' : 'does NOT fit'} on ${r.hardware.name}`]);
    }
    return h(
      'div',
      { class: 'estimates' },
      h('h3', null, 'Estimates'),
      h('div', { class: 'cards' }, items.map(([k, v, d]) => h('div', { class: 'card' }, h('div', { class: 'card-label' }, k), h('div', { class: 'card-value' }, v), d ? h('div', { class: 'card-detail' }, d) : null))),
    );
  }
}
