/**
 * Traffic: bytes per collective kind, per mesh axis, per phase and per rank (charts), logical vs
 * wire bytes, and the ledger: one row per collective, in order, each jumping to its line.
 */
import type { Chart } from 'chart.js';
import type { CollectiveInfo, TrafficSummary } from '../../src/report/types.js';
import { loadCharts, type Charts } from '../chart-loader.js';
import { h, replace } from '../dom.js';
import { fmtBytes, fmtInt, fmtOp, fmtShape, fmtUs } from '../format.js';
import { collectivesOf, meshOf, recordedCollectives, trafficOf, type PanelState } from '../state.js';
import { textField } from '../toolkit.js';
import { emptyNote, openSource, row, sourceLink, table, type View, type ViewContext } from './view.js';

const MAX_ROWS = 2000;

export function filterLedger(cs: readonly CollectiveInfo[], filter: string): CollectiveInfo[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const hay = (c: CollectiveInfo) => `${c.seq} ${c.op} ${fmtOp(c.op)} ${c.phase} ${c.axis ?? ''} ${c.group} ${c.module ?? ''} ${c.label ?? ''} ${c.algorithm}`.toLowerCase();
  return cs.filter((c) => words.every((w) => hay(c).includes(w)));
}

export class TrafficView implements View {
  private filter: string;
  private charts: Chart[] = [];
  private chartKey = '';
  private readonly totals = h('div', { class: 'totals' });
  private readonly chartsEl = h('div', { class: 'charts' });
  private readonly ledger = h('div', { class: 'table-wrap' });
  private readonly count = h('span', { class: 'count' });
  private last: PanelState | null = null;
  /** chart.js, once loaded (chart-loader.ts); charts wait for it. */
  private lib: Charts | null = null;

  constructor(
    el: HTMLElement,
    private readonly ctx: ViewContext,
    initialFilter: string,
  ) {
    this.filter = initialFilter;
    const field = textField('Filter: op, phase, axis, module', initialFilter, (v) => {
      this.filter = v;
      ctx.setUi({ ledgerFilter: v });
      if (this.last) this.renderLedger(this.last);
    }, { id: 'ledger-filter' });
    replace(el, this.totals, this.chartsEl, h('h3', null, 'Ledger'), h('div', { class: 'toolbar' }, field, this.count), this.ledger);
  }

  update(s: PanelState, force: boolean): void {
    this.last = s;
    const t = trafficOf(s);
    const n = collectivesOf(s).length;
    const recorded = recordedCollectives(s);
    replace(
      this.totals,
      n === 0
        ? emptyNote(s.phase === 'running' ? 'No collective yet…' : 'No collective ran: nothing moved between ranks.')
        : h(
            'p',
            null,
            h('strong', null, `${n} collective${n === 1 ? '' : 's'}`),
            ` · logical ${fmtBytes(t.totalBytes)} (${fmtInt(t.totalBytes)} B) · on the wire ${fmtBytes(t.totalWireBytes)} (${fmtInt(t.totalWireBytes)} B, all ranks' sends)`,
            recorded === null ? null : h('span', { class: 'note' }, ` — the first ${fmtInt(n)} of ${fmtInt(recorded)} recorded so far; the report will have them all`),
          ),
    );
    this.renderCharts(s, t, force);
    this.renderLedger(s);
  }

  private renderCharts(s: PanelState, t: TrafficSummary, force: boolean): void {
    const key = JSON.stringify([t.totalBytes, t.totalWireBytes, Object.keys(t.byOp), t.perRank.length]);
    if (!force && key === this.chartKey) return;
    const lib = this.lib;
    if (!lib && collectivesOf(s).length) {
      void loadCharts().then(
        (m) => {
          this.lib = m;
          if (this.last) this.renderCharts(this.last, trafficOf(this.last), true);
        },
        (e: Error) => replace(this.chartsEl, emptyNote(`The charts could not be loaded (${e.message}); the totals above and the ledger below have every number.`)),
      );
      return;
    }
    this.chartKey = key;
    for (const c of this.charts) c.destroy();
    this.charts = [];
    if (!collectivesOf(s).length) {
      this.chartsEl.replaceChildren();
      return;
    }
    const p = this.ctx.palette();
    const box = (title: string, id: string) => {
      const canvas = h('canvas', { id, role: 'img', 'aria-label': title });
      return { el: h('figure', { class: 'chart' }, h('figcaption', null, title), h('div', { class: 'chart-box' }, canvas)), canvas };
    };
    const groups: [string, string, Record<string, { bytes: number; wireBytes: number }>, (k: string) => string][] = [
      ['Bytes per collective kind', 'chart-op', t.byOp, fmtOp],
      ['Bytes per mesh axis', 'chart-axis', t.byAxis, (k) => k],
      ['Bytes per phase', 'chart-phase', t.byPhase, (k) => k],
    ];
    const figs = groups.map(([title, id, m, label]) => {
      const b = box(title, id);
      const keys = Object.keys(m);
      this.charts.push(
        lib!.bytesBarChart(b.canvas, title, keys.map(label), [
          { label: 'logical', data: keys.map((k) => m[k].bytes), color: p.compute },
          { label: 'wire', data: keys.map((k) => m[k].wireBytes), color: p.comm },
        ], p),
      );
      return b.el;
    });
    const mesh = meshOf(s);
    const perRank = t.perRank.filter((x) => !mesh || x.rank < mesh.worldSize);
    const rb = box('Per rank: sent and received', 'chart-rank');
    this.charts.push(
      lib!.bytesBarChart(rb.canvas, 'per rank', perRank.map((x) => `rank ${x.rank}`), [
        { label: 'sent', data: perRank.map((x) => x.sentBytes), color: p.comm },
        { label: 'received', data: perRank.map((x) => x.recvBytes), color: p.computeBwd },
      ], p),
    );
    replace(this.chartsEl, figs, rb.el);
  }

  private renderLedger(s: PanelState): void {
    const all = collectivesOf(s);
    const cs = filterLedger(all, this.filter);
    this.count.textContent = all.length ? `${cs.length} of ${all.length}` : '';
    const num = [true, false, false, false, false, true, false, true, true, true, false, false];
    const rows = cs.slice(0, MAX_ROWS).map((c) => {
      const tr = row(
        [
          String(c.seq),
          `${fmtOp(c.op)}${c.reduceOp && c.reduceOp !== 'sum' ? ` (${c.reduceOp})` : ''}`,
          c.phase,
          `${c.axis ?? c.group} [${c.ranks.length <= 8 ? c.ranks.join(',') : `${c.ranks.length} ranks`}]`,
          `${fmtShape(c.shape)} ${c.dtype}`,
          h('span', null, h('span', { class: 'bytes' }, fmtInt(c.bytes)), h('span', { class: 'dim' }, ` ${fmtBytes(c.bytes)}`)),
          c.algorithm,
          h('span', null, h('span', { class: 'sent' }, fmtInt(c.sentBytesPerRank)), h('span', { class: 'dim' }, ` ${fmtBytes(c.sentBytesPerRank)}`)),
          fmtBytes(c.wireBytes),
          fmtUs(c.timeUs),
          c.module ?? c.label ?? '',
          sourceLink(this.ctx, c.source),
        ],
        num,
        { class: 'ledger-row', 'data-seq': String(c.seq), 'data-phase': c.phase, 'data-op': c.op, ...(c.source ? { 'data-line': String(c.source.line), tabindex: '0' } : {}) },
      );
      if (c.source) {
        const src = c.source;
        tr.classList.add('clickable');
        tr.title = `${src.file}:${src.line}`;
        tr.addEventListener('click', () => openSource(this.ctx, src));
        tr.addEventListener('keydown', (e) => {
          if ((e as KeyboardEvent).key === 'Enter') openSource(this.ctx, src);
        });
      }
      return tr;
    });
    replace(
      this.ledger,
      all.length ? table('ledger-table', ['#', 'op', 'phase', 'group', 'shape', 'bytes', 'algorithm', 'sent/rank', 'wire', 'time', 'module', 'line'], rows, num) : null,
      cs.length > MAX_ROWS ? emptyNote(`… ${cs.length - MAX_ROWS} more: narrow the filter.`) : null,
    );
  }
}
