/** Shards: module × rank table of global and local shapes and placements, filterable. */
import type { MeshInfo, ShardInfo } from '../../src/report/types.js';
import { h, replace } from '../dom.js';
import { fmtShape } from '../format.js';
import type { PanelState } from '../state.js';
import { textField } from '../toolkit.js';
import { emptyNote, openSource, row, sourceLink, table, type View, type ViewContext } from './view.js';

const MAX_ROWS = 2000;

/** "pp=1 tp=2": a rank's coordinates on the axes with more than one rank, dp, pp, tp first. */
export function coordsOf(mesh: MeshInfo, rank: number): string {
  const c = mesh.coords[rank] ?? {};
  const order = (a: string) => { const i = ['dp', 'pp', 'tp'].indexOf(a); return i < 0 ? 3 : i; };
  return mesh.axes.filter((_, i) => mesh.sizes[i] > 1).sort((a, b) => order(a) - order(b)).map((a) => `${a}=${c[a] ?? 0}`).join(' ') || '—';
}

/** Rows whose module, parameter, kind or placement contain every word of the filter. */
export function filterShards(shards: readonly ShardInfo[], filter: string): ShardInfo[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const hay = (s: ShardInfo) => `${s.module}.${s.param} ${s.kind} ${s.placement} rank${s.rank} ${s.rank}`.toLowerCase();
  const order = (p: string) => (p === 'weight' ? 0 : p === 'bias' ? 1 : 2);
  return shards.filter((s) => words.every((w) => hay(s).includes(w))).sort((a, b) => a.module.localeCompare(b.module, undefined, { numeric: true }) || order(a.param) - order(b.param) || a.param.localeCompare(b.param) || a.rank - b.rank);
}

export class ShardsView implements View {
  private filter: string;
  private readonly body = h('div', { class: 'table-wrap' });
  private readonly count = h('span', { class: 'count' });

  constructor(
    el: HTMLElement,
    private readonly ctx: ViewContext,
    initialFilter: string,
  ) {
    this.filter = initialFilter;
    const field = textField('Filter: module, parameter, kind, placement, rank', initialFilter, (v) => {
      this.filter = v;
      ctx.setUi({ shardFilter: v });
      this.render(this.last);
    }, { id: 'shard-filter' });
    replace(el, h('div', { class: 'toolbar' }, field, this.count), this.body);
  }

  private last: PanelState | null = null;

  update(s: PanelState, force: boolean): void {
    this.render(s);
  }

  private render(s: PanelState | null): void {
    this.last = s;
    const r = s?.report;
    if (!r) {
      replace(this.body, emptyNote(s?.phase === 'running' ? 'Shards are listed when the run ends.' : 'No report yet.'));
      this.count.textContent = '';
      return;
    }
    if (!r.shards.length) {
      replace(this.body, emptyNote('This run recorded no parameters (a custom program, or it stopped early).'));
      this.count.textContent = '';
      return;
    }
    const rows = filterShards(r.shards, this.filter);
    this.count.textContent = `${rows.length} of ${r.shards.length} rows`;
    const num = [false, false, false, true, false, false, false, false, false];
    const trs = rows.slice(0, MAX_ROWS).map((x) => {
      const tr = row([x.module || '(model)', x.param, x.kind, String(x.rank), coordsOf(r.mesh, x.rank), fmtShape(x.globalShape), fmtShape(x.localShape), x.placement, sourceLink(this.ctx, x.source)], num, { class: 'shard-row', 'data-module': x.module, 'data-param': x.param, 'data-rank': String(x.rank) });
      if (x.source) {
        const src = x.source;
        tr.classList.add('clickable');
        tr.addEventListener('click', () => openSource(this.ctx, src));
      }
      return tr;
    });
    const outs = [...r.modules].filter((m) => m.module && (!this.filter || filterShards([{ module: m.module, param: '', kind: m.kind, placement: '', rank: m.rank, globalShape: [], localShape: [] }], this.filter).length)).sort((a, b) => a.module.localeCompare(b.module, undefined, { numeric: true }) || a.rank - b.rank);
    replace(
      this.body,
      table('shards-table', ['module', 'param', 'kind', 'rank', 'coords', 'global', 'local', 'placement', 'built at'], trs, num),
      rows.length > MAX_ROWS ? emptyNote(`… ${rows.length - MAX_ROWS} more rows: narrow the filter.`) : null,
      outs.length ? h('h3', null, 'Module outputs (per rank, local)') : null,
      outs.length ? table('outputs-table', ['module', 'kind', 'rank', 'output'], outs.slice(0, MAX_ROWS).map((m) => row([m.module, m.kind, String(m.rank), fmtShape(m.outputShape)], [false, false, true, false], { class: 'output-row', 'data-module': m.module, 'data-rank': String(m.rank) })), [false, false, true, false]) : null,
    );
  }
}
