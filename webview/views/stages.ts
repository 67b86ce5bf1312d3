/** Stages: which layers sit on which pipeline stage, and on which ranks. */
import type { Report } from '../../src/report/types.js';
import { h, replace } from '../dom.js';
import { fmtRanks } from '../format.js';
import { meshOf, type PanelState } from '../state.js';
import { withAlpha } from '../theme.js';
import { emptyNote, row, table, type View, type ViewContext } from './view.js';

/** "h.0.attn.c_attn" → "h.0"; "fc1" → "fc1": the top-level block a module belongs to. */
export function blockOf(path: string): string {
  const parts = path.split('.');
  return parts.length > 1 && /^\d+$/.test(parts[1]) ? `${parts[0]}.${parts[1]}` : parts[0];
}

/** ["h.0","h.1","h.2","ln_f"] → "h.0–h.2, ln_f" */
export function compressLayers(layers: readonly string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < layers.length) {
    const m = /^(.*)\.(\d+)$/.exec(layers[i]);
    if (!m) {
      out.push(layers[i++]);
      continue;
    }
    let j = i;
    while (j + 1 < layers.length && layers[j + 1] === `${m[1]}.${Number(m[2]) + (j + 1 - i)}`) j++;
    out.push(j > i ? `${layers[i]}–${layers[j]}` : layers[i]);
    i = j + 1;
  }
  return out.join(', ');
}

/** The layers of each stage: the report's, or (pipelines) the blocks whose modules ran there. */
export function stageLayers(r: Report): { stage: number; ranks: readonly number[]; layers: string[] }[] {
  return r.stages.map((st) => {
    if (st.layers.length) return { stage: st.stage, ranks: st.ranks, layers: [...st.layers] };
    const ranks = new Set(st.ranks);
    const seen: string[] = [];
    for (const m of r.modules) if (ranks.has(m.rank) && m.module) {
      const b = blockOf(m.module);
      if (!seen.includes(b)) seen.push(b);
    }
    return { stage: st.stage, ranks: st.ranks, layers: seen };
  });
}

export class StagesView implements View {
  constructor(
    private readonly el: HTMLElement,
    private readonly ctx: ViewContext,
  ) {}

  update(s: PanelState, force: boolean): void {
    const r = s.report;
    if (!r) {
      const mesh = meshOf(s);
      replace(this.el, emptyNote(s.phase === 'running' ? `Stages are known when the run ends${s.live.layers.length ? ` (layers: ${compressLayers(s.live.layers)})` : ''}.` : 'No report yet.'), mesh ? h('p', null, `${mesh.worldSize} ranks`) : null);
      return;
    }
    if (!r.stages.length) {
      replace(this.el, emptyNote('The run stopped before its stages were known.'));
      return;
    }
    const p = this.ctx.palette();
    const stages = stageLayers(r);
    const bars = h(
      'div',
      { class: 'stage-bars' },
      stages.map((st) => {
        const color = p.stages[st.stage % p.stages.length];
        const b = h('div', { class: 'stage-bar', 'data-stage': st.stage }, h('strong', null, `stage ${st.stage}`), h('span', null, `ranks ${fmtRanks(st.ranks)}`), h('span', { class: 'layers' }, compressLayers(st.layers) || '—'));
        b.style.borderLeftColor = color;
        b.style.backgroundColor = withAlpha(color, p.highContrast ? 0 : 0.12);
        return b;
      }),
    );
    const rows = stages.map((st) => row([String(st.stage), fmtRanks(st.ranks), String(st.layers.length), st.layers.join(', ') || '—'], [true, false, true, false]));
    replace(this.el, h('h3', null, `${stages.length} pipeline stage${stages.length === 1 ? '' : 's'}`), bars, table('stages-table', ['stage', 'ranks', 'layers', 'which'], rows, [true, false, true, false]));
  }
}
