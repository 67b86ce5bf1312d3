/** What every tab's view gets, and the small pieces they share. */
import type { WebviewMessage } from '../../src/protocol.js';
import type { SourceRef } from '../../src/report/types.js';
import { h } from '../dom.js';
import { basename } from '../format.js';
import type { PanelState, UiState } from '../state.js';
import type { Palette } from '../theme.js';

export interface ViewContext {
  post(msg: WebviewMessage): void;
  setUi(patch: Partial<UiState>): void;
  palette(): Palette;
}

export interface View {
  /** Redraw from the state (main.ts calls it when the state changed since its last draw); `force` after a theme change or when the tab becomes visible. */
  update(s: PanelState, force: boolean): void;
}

export const openSource = (ctx: ViewContext, s: SourceRef): void => ctx.post({ type: 'openSource', file: s.file, line: s.line, column: s.column || undefined });

/** "ffn_tp4.ts:12" that opens the file at that line. */
export function sourceLink(ctx: ViewContext, s: SourceRef | undefined): HTMLElement | string {
  if (!s) return '';
  return h('a', { class: 'source', href: '#', title: `${s.file}:${s.line}`, onclick: (e: Event) => (e.preventDefault(), e.stopPropagation(), openSource(ctx, s)) }, `${basename(s.file)}:${s.line}`);
}

export function emptyNote(text: string): HTMLElement {
  return h('p', { class: 'empty' }, text);
}

/** A table: header cells and rows (cells may be nodes); `num` marks right-aligned columns. */
export function table(cls: string, header: readonly string[], rows: readonly HTMLElement[], num: readonly boolean[] = []): HTMLTableElement {
  return h('table', { class: `grid ${cls}` }, h('thead', null, h('tr', null, header.map((c, i) => h('th', { class: num[i] ? 'num' : undefined, scope: 'col' }, c)))), h('tbody', null, rows));
}

export function row(cells: readonly (Node | string | number)[], num: readonly boolean[] = [], attrs: Record<string, string | ((e: Event) => void)> = {}): HTMLTableRowElement {
  return h('tr', attrs, cells.map((c, i) => h('td', { class: num[i] ? 'num' : undefined }, c)));
}
