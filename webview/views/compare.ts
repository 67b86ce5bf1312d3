/**
 * Compare: runs of the workspace side by side — the host's history (newest first, kept across
 * reloads), any two or more of them chosen by their check boxes (the two latest by default), the
 * rows of `autodist compare` with the best of each row marked, and what changed in the latest
 * run against the previous run of the same file ("wire −132 MiB, step −41 µs, now verified").
 */
import type { HistoryEntry } from '../../src/protocol.js';
import { compareRuns, latestChange } from '../../src/report/compare.js';
import { h, replace } from '../dom.js';
import type { PanelState } from '../state.js';
import { button } from '../toolkit.js';
import { emptyNote, type View, type ViewContext } from './view.js';

const SECTIONS: Readonly<Record<string, string>> = { collectives: 'Collectives by op and phase', time: 'Time (estimated step)', memory: 'Memory' };

export class CompareView implements View {
  private state: PanelState | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly ctx: ViewContext,
  ) {}

  update(s: PanelState): void {
    this.state = s;
    const history = s.history ?? [];
    const compareBtn = button('Compare scripts…', () => this.ctx.post({ type: 'command', command: 'compareScripts' }), { title: 'Pick scripts, run them one after another and compare them here', id: 'btn-compare-scripts' });
    if (history.length === 0) {
      replace(this.el, emptyNote('No runs in the history yet. Each finished run of this workspace is kept here (the last 20), to compare side by side.'), compareBtn);
      return;
    }
    const chosen = (s.ui.compare ?? history.slice(0, 2).map((e) => e.key)).filter((k) => history.some((e) => e.key === k));
    const selected = history.filter((e) => chosen.includes(e.key)).reverse(); // oldest left, as they ran
    const change = latestChange(history);
    replace(
      this.el,
      change
        ? h('p', { class: 'delta', id: 'compare-delta' }, h('strong', null, `${change.latest.name}`), ` against its previous run: ${change.text}`)
        : null,
      h('div', { class: 'compare-actions' }, compareBtn),
      this.picker(history, chosen),
      selected.length >= 2 ? this.table(selected) : emptyNote('Tick two runs or more to see them side by side.'),
    );
  }

  private picker(history: readonly HistoryEntry[], chosen: readonly string[]): HTMLElement {
    const toggle = (key: string) => (e: Event) => {
      const on = (e.target as HTMLInputElement).checked;
      this.ctx.setUi({ compare: on ? [...chosen, key] : chosen.filter((k) => k !== key) });
      if (this.state) this.update(this.state); // the state's ui now holds the choice
    };
    return h(
      'details',
      { class: 'compare-runs', open: true },
      h('summary', null, `Runs (${history.length}, newest first)`),
      h(
        'ul',
        { class: 'run-list' },
        history.map((e) =>
          h(
            'li',
            { 'data-key': e.key },
            h('label', null, h('input', { type: 'checkbox', checked: chosen.includes(e.key), onchange: toggle(e.key) }), ` ${e.name} `, h('span', { class: `dim verdict-word ${e.summary.verdict.replace(' ', '-')}` }, `${e.summary.mode} · ${e.summary.verdictText}`), h('span', { class: 'dim' }, ` · ${new Date(e.finishedAt).toLocaleTimeString()}`)),
          ),
        ),
      ),
    );
  }

  private table(runs: readonly HistoryEntry[]): HTMLElement {
    const c = compareRuns(runs.map((e) => e.summary));
    const rows: HTMLElement[] = [];
    let section = '';
    for (const r of c.rows) {
      if (r.section && r.section !== section) rows.push(h('tr', { class: 'section' }, h('th', { colspan: String(c.runs.length + 1), scope: 'colgroup' }, SECTIONS[r.section] ?? r.section)));
      section = r.section;
      rows.push(
        h(
          'tr',
          { 'data-row': r.label },
          h('th', { scope: 'row', class: r.sub ? 'sub' : undefined }, r.label),
          r.cells.map((x) => h('td', { class: `num${x.best ? ' best' : ''}`, title: x.best ? 'best of the row' : undefined }, x.best ? `★ ${x.text}` : x.text)),
        ),
      );
    }
    return h(
      'div',
      { class: 'table-wrap' },
      h('table', { class: 'grid compare', id: 'compare-table' }, h('thead', null, h('tr', null, h('th', null, ''), runs.map((e) => h('th', { class: 'num', scope: 'col', title: e.summary.script }, e.name)))), h('tbody', null, rows)),
    );
  }
}
