/** Timeline: the per-rank Gantt of compute, communication and waits, with its zoom controls. */
import type { TimelineEvent } from '../../src/report/types.js';
import { h, replace } from '../dom.js';
import { basename, fmtPct, fmtUs } from '../format.js';
import { Gantt } from '../gantt.js';
import { meshOf, spansOf, type PanelState } from '../state.js';
import { button } from '../toolkit.js';
import { withAlpha } from '../theme.js';
import { coordsOf } from './shards.js';
import { emptyNote, openSource, type View, type ViewContext } from './view.js';
import { maxOf } from '../../src/report/format.js';

export class TimelineView implements View {
  private readonly info = h('div', { class: 'timeline-info' });
  private readonly legend = h('div', { class: 'legend' });
  private readonly box = h('div', { class: 'gantt-box' });
  private readonly tip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
  private readonly gantt: Gantt;
  private shownCount = -1;

  constructor(
    el: HTMLElement,
    private readonly ctx: ViewContext,
  ) {
    this.gantt = new Gantt(this.box, ctx.palette(), {
      hover: (s, x, y) => this.showTip(s, x, y),
      click: (s) => s.source && openSource(ctx, s.source),
      window: (w) => ctx.setUi({ window: w }),
    });
    const controls = h(
      'div',
      { class: 'toolbar zoom' },
      button('+', () => this.gantt.zoom(0.5), { title: 'Zoom in', id: 'zoom-in' }),
      button('−', () => this.gantt.zoom(2), { title: 'Zoom out', id: 'zoom-out' }),
      button('Fit', () => this.gantt.fit(), { title: 'Show the whole step', id: 'zoom-fit' }),
      h('span', { class: 'hint' }, 'wheel to zoom · drag to pan · click a bar to open its line'),
    );
    const wrap = h('div', { class: 'gantt-wrap' }, this.box, this.tip);
    replace(el, this.info, h('div', { class: 'toolbar' }, controls, this.legend), wrap);
  }

  update(s: PanelState, force: boolean): void {
    const p = this.ctx.palette();
    if (force) this.gantt.setPalette(p);
    const mesh = meshOf(s);
    const spans = spansOf(s);
    const r = s.report;
    this.renderInfo(s);
    const swatch = (label: string, color: string) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.backgroundColor = color;
      return h('span', { class: 'legend-item' }, sw, label);
    };
    replace(this.legend, swatch('compute (fwd)', p.compute), swatch('compute (bwd)', p.computeBwd), swatch('communication', p.comm), swatch('wait / bubble', withAlpha(p.wait, 0.3)));
    const n = mesh?.worldSize ?? 1 + maxOf(spans.map((x) => x.rank), -1);
    const labels = Array.from({ length: n }, (_, rank) => (mesh ? `r${rank} ${coordsOf(mesh, rank).replace(/=/g, '')}` : `rank ${rank}`));
    if (force || spans.length !== this.shownCount || !r) {
      this.gantt.setData(spans, labels, r?.timeline.stepTimeUs ?? 0);
      this.shownCount = spans.length;
    }
    this.gantt.setWindow(s.ui.window);
  }

  private renderInfo(s: PanelState): void {
    const r = s.report;
    const spans = spansOf(s);
    if (!spans.length) {
      replace(this.info, emptyNote(s.phase === 'running' ? 'Waiting for the first op…' : 'No timeline: the run recorded no events.'));
      return;
    }
    if (!r) {
      replace(this.info, h('p', null, `${spans.length} events so far${spans.length >= 20000 ? ' (the live view keeps the first 20,000; the report has them all)' : ''}`));
      return;
    }
    const t = r.timeline;
    const parts: (HTMLElement | string)[] = [h('strong', null, `step ${fmtUs(t.stepTimeUs)}`), ` · idle ${fmtPct(t.bubbleFraction)} of the step (mean over ranks)`];
    const ppIdx = r.mesh.axes.indexOf('pp');
    const pp = ppIdx >= 0 ? r.mesh.sizes[ppIdx] : 1;
    if (pp > 1) {
      const measured = t.bubbleFraction < 1 ? t.bubbleFraction / (1 - t.bubbleFraction) : Infinity;
      parts.push(` · bubble ÷ busy = ${measured.toFixed(3)}`);
      // the textbook bubble of a 1F1B / GPipe schedule, when the run says how many microbatches
      const m = r.batch?.microbatches;
      if (m) parts.push(`, formula (p−1)/m = ${pp - 1}/${m} = ${((pp - 1) / m).toFixed(3)}`);
    }
    if (t.truncated) parts.push(` · showing the first ${t.events.length} events`);
    replace(this.info, h('p', null, parts));
  }

  private showTip(s: TimelineEvent | null, x: number, y: number): void {
    if (!s) {
      this.tip.hidden = true;
      return;
    }
    replace(
      this.tip,
      h('strong', null, `${s.kind === 'wait' ? 'wait: ' : ''}${s.name}`),
      h('div', null, `rank ${s.rank} · ${s.phase}${s.module ? ` · ${s.module}` : ''}${s.tag ? ` · ${s.tag}` : ''}`),
      h('div', null, `${fmtUs(s.startUs)} → ${fmtUs(s.endUs)} (${fmtUs(s.endUs - s.startUs)})`),
      s.source ? h('div', { class: 'dim' }, `${basename(s.source.file)}:${s.source.line} — click to open`) : null,
    );
    this.tip.hidden = false;
    this.tip.style.left = `${Math.round(x + 14)}px`;
    this.tip.style.top = `${Math.round(y + 14)}px`;
  }
}
