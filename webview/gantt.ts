/**
 * A per-rank Gantt chart on a canvas: one row per rank, compute (forward / backward),
 * communication and waits (pipeline bubbles) as bars on a simulated-time axis. Zoom with the
 * wheel (around the pointer) or the buttons, pan by dragging; hovering a bar describes it and
 * clicking one that has a source line opens it.
 *
 * The canvas carries its geometry and what it shows as data-* attributes (`data-rows`,
 * `data-axis-height`, `data-row-height`, `data-plot-left`, `data-plot-width`, `data-start-us`,
 * `data-end-us`, `data-spans`, `data-waits`, and `data-hover` for the bar under the pointer):
 * stable hooks for tests and tools, since the bars themselves are not DOM. Row r's middle is at
 * y = axis-height + (r + ½) · row-height; time t at x = plot-left + (t − start) / (end − start) ·
 * plot-width (CSS pixels from the canvas's top left).
 */
import type { TimelineEvent } from '../src/report/types.js';
import { fmtUs } from './format.js';
import { withAlpha, type Palette } from './theme.js';
import { maxOf } from '../src/report/format.js';

export interface TimeWindow {
  readonly startUs: number;
  readonly endUs: number;
}

export interface GanttHandlers {
  hover(span: TimelineEvent | null, x: number, y: number): void;
  click(span: TimelineEvent): void;
  /** The person zoomed or panned (null: back to the whole run). */
  window(w: TimeWindow | null): void;
}

const AXIS_H = 24;
const PAD_R = 12;

/** A "nice" tick step (1, 2 or 5 × 10^k) giving about `n` ticks over `span`. */
export function tickStep(span: number, n = 8): number {
  if (!(span > 0)) return 1;
  const raw = span / n;
  const k = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / k;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * k;
}

export class Gantt {
  readonly canvas: HTMLCanvasElement;
  private spans: readonly TimelineEvent[] = [];
  private byRank: TimelineEvent[][] = [];
  private labels: readonly string[] = [];
  private totalUs = 0;
  private win: TimeWindow | null = null;
  private hovered: TimelineEvent | null = null;
  private drag: { x: number; win: TimeWindow; moved: boolean } | null = null;
  private cssWidth = 600;
  /** Width of the rank labels' column (measured). */
  private labelW = 80;

  constructor(
    private readonly container: HTMLElement,
    private palette: Palette,
    private readonly on: GanttHandlers,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'gantt';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'per-rank timeline');
    container.appendChild(this.canvas);
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('mousedown', (e) => this.onDown(e));
    window.addEventListener('mousemove', (e) => this.onMove(e));
    window.addEventListener('mouseup', (e) => this.onUp(e));
    this.canvas.addEventListener('mouseleave', () => this.setHover(null, 0, 0));
    this.canvas.addEventListener('keydown', (e) => {
      if (e.key === '+' || e.key === '=') this.zoom(0.5);
      else if (e.key === '-') this.zoom(2);
      else if (e.key === '0') this.fit();
    });
    new ResizeObserver(() => this.draw()).observe(container);
  }

  setPalette(p: Palette): void {
    this.palette = p;
    this.draw();
  }

  setData(spans: readonly TimelineEvent[], labels: readonly string[], totalUs: number): void {
    this.spans = spans;
    this.labels = labels;
    this.byRank = labels.map(() => []);
    for (const s of spans) (this.byRank[s.rank] ??= []).push(s);
    let end = totalUs;
    for (const s of spans) if (s.endUs > end) end = s.endUs;
    this.totalUs = end;
    this.draw();
  }

  get view(): TimeWindow {
    return this.win ?? { startUs: 0, endUs: Math.max(this.totalUs, 1e-3) };
  }

  setWindow(w: TimeWindow | null): void {
    this.win = w;
    this.draw();
  }

  /** Zoom by `factor` (< 1 in, > 1 out) around a fraction of the plot's width. */
  zoom(factor: number, at = 0.5): void {
    const v = this.view;
    const span = v.endUs - v.startUs;
    const center = v.startUs + span * at;
    const total = Math.max(this.totalUs, 1e-3);
    let next = Math.min(total, Math.max(total * 1e-6, span * factor));
    let start = center - next * at;
    start = Math.max(0, Math.min(start, total - next));
    if (next >= total) {
      this.fit();
      return;
    }
    this.win = { startUs: start, endUs: start + next };
    this.on.window(this.win);
    this.draw();
  }

  fit(): void {
    this.win = null;
    this.on.window(null);
    this.draw();
  }

  private plotWidth(): number {
    return Math.max(10, this.cssWidth - this.labelW - PAD_R);
  }

  private rowHeight(): number {
    const n = Math.max(1, this.labels.length);
    return Math.max(8, Math.min(22, Math.floor(560 / n)));
  }

  private xOf(t: number): number {
    const v = this.view;
    return this.labelW + ((t - v.startUs) / (v.endUs - v.startUs)) * this.plotWidth();
  }

  private tOf(x: number): number {
    const v = this.view;
    return v.startUs + ((x - this.labelW) / this.plotWidth()) * (v.endUs - v.startUs);
  }

  draw(): void {
    const rowH = this.rowHeight();
    const cssW = Math.max(200, this.container.clientWidth || 600);
    const cssH = AXIS_H + Math.max(1, this.labels.length) * rowH + 6;
    this.cssWidth = cssW;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(cssW * dpr) || this.canvas.height !== Math.round(cssH * dpr)) {
      this.canvas.width = Math.round(cssW * dpr);
      this.canvas.height = Math.round(cssH * dpr);
      this.canvas.style.width = `${cssW}px`;
      this.canvas.style.height = `${cssH}px`;
    }
    const g = this.canvas.getContext('2d');
    if (!g) return;
    const p = this.palette;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    g.font = `11px ${getComputedStyle(document.body).fontFamily || 'sans-serif'}`;
    g.textBaseline = 'middle';
    this.labelW = Math.ceil(maxOf(this.labels.map((l) => g.measureText(l).width), 48) + 14);

    // time axis and grid
    const v = this.view;
    const step = tickStep(v.endUs - v.startUs, Math.max(2, Math.floor(this.plotWidth() / 90)));
    g.strokeStyle = p.grid;
    g.fillStyle = p.muted;
    g.lineWidth = 1;
    for (let t = Math.ceil(v.startUs / step) * step; t <= v.endUs + 1e-9; t += step) {
      const x = Math.round(this.xOf(t)) + 0.5;
      g.beginPath();
      g.moveTo(x, AXIS_H - 4);
      g.lineTo(x, cssH);
      g.stroke();
      const label = Math.abs(t) < 1e-9 ? '0' : fmtUs(t); // an axis starts at 0, not "0.0 µs"
      if (x + 3 + g.measureText(label).width <= cssW) g.fillText(label, x + 3, AXIS_H / 2);
    }

    // rows
    const barH = Math.max(4, rowH - 6);
    this.labels.forEach((label, rank) => {
      const y = AXIS_H + rank * rowH;
      g.fillStyle = p.fg;
      g.fillText(label, 6, y + rowH / 2);
      g.strokeStyle = p.grid;
      g.beginPath();
      g.moveTo(this.labelW, y + rowH - 0.5);
      g.lineTo(cssW - PAD_R, y + rowH - 0.5);
      g.stroke();
    });
    g.save();
    g.beginPath();
    g.rect(this.labelW, 0, this.plotWidth(), cssH);
    g.clip();
    // waits first: a blocked send or recv shows over its wait
    const ordered = [...this.spans.filter((s) => s.kind === 'wait'), ...this.spans.filter((s) => s.kind !== 'wait')];
    for (const s of ordered) {
      if (s.endUs < v.startUs || s.startUs > v.endUs) continue;
      const x0 = this.xOf(s.startUs);
      const w = Math.max(1, this.xOf(s.endUs) - x0);
      const y = AXIS_H + s.rank * rowH + (rowH - barH) / 2;
      g.fillStyle = this.colorOf(s);
      g.fillRect(x0, y, w, barH);
      if (s.kind === 'wait' && w > 3) {
        g.strokeStyle = withAlpha(p.wait, 0.8);
        g.strokeRect(x0 + 0.5, y + 0.5, w - 1, barH - 1);
      }
      if (w > 40 && barH >= 10) this.label(g, s, x0, y, w, barH);
    }
    if (this.hovered) {
      const s = this.hovered;
      const x0 = this.xOf(s.startUs);
      g.strokeStyle = p.focus;
      g.lineWidth = 2;
      g.strokeRect(x0, AXIS_H + s.rank * rowH + (rowH - barH) / 2 - 1, Math.max(2, this.xOf(s.endUs) - x0), barH + 2);
    }
    g.restore();
    this.describe(rowH, v);
  }

  /** The data-* hooks (see the file's comment). */
  private describe(rowH: number, v: TimeWindow): void {
    const d = this.canvas.dataset;
    const inView = this.spans.filter((s) => s.endUs >= v.startUs && s.startUs <= v.endUs);
    d.rows = String(this.labels.length);
    d.axisHeight = String(AXIS_H);
    d.rowHeight = String(rowH);
    d.plotLeft = String(this.labelW);
    d.plotWidth = String(this.plotWidth());
    d.startUs = String(v.startUs);
    d.endUs = String(v.endUs);
    d.spans = String(inView.length);
    d.waits = String(inView.filter((s) => s.kind === 'wait').length);
    const s = this.hovered;
    if (s) d.hover = `${s.rank} ${s.kind} ${s.name}`;
    else delete d.hover;
  }

  /** The op's name inside its bar, when it fits. */
  private label(g: CanvasRenderingContext2D, s: TimelineEvent, x: number, y: number, w: number, h: number): void {
    const text = s.kind === 'wait' ? 'wait' : s.module ? `${s.module} ${s.name}` : s.name;
    const fit = (t: string) => g.measureText(t).width <= w - 6;
    const shown = fit(text) ? text : fit(s.name) ? s.name : '';
    if (!shown) return;
    g.fillStyle = s.kind === 'wait' ? this.palette.fg : this.palette.bg;
    g.fillText(shown, x + 3, y + h / 2 + 0.5);
  }

  private colorOf(s: TimelineEvent): string {
    const p = this.palette;
    if (s.kind === 'comm') return p.comm;
    if (s.kind === 'wait') return withAlpha(p.wait, 0.3);
    return s.phase === 'backward' ? p.computeBwd : p.compute;
  }

  /** The span under a point of the canvas (CSS pixels). */
  spanAt(x: number, y: number): TimelineEvent | null {
    const rowH = this.rowHeight();
    const rank = Math.floor((y - AXIS_H) / rowH);
    if (x < this.labelW || rank < 0 || rank >= this.byRank.length) return null;
    const t = this.tOf(x);
    const slack = (2 * (this.view.endUs - this.view.startUs)) / this.plotWidth();
    let best: TimelineEvent | null = null;
    for (const s of this.byRank[rank] ?? []) {
      if (s.startUs - slack <= t && t <= s.endUs + slack && (!best || s.kind !== 'wait')) best = s;
    }
    return best;
  }

  private local(e: MouseEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const { x } = this.local(e);
    const at = Math.min(1, Math.max(0, (x - this.labelW) / this.plotWidth()));
    this.zoom(Math.exp(e.deltaY * 0.002), at);
  }

  private onDown(e: MouseEvent): void {
    this.drag = { x: e.clientX, win: this.view, moved: false };
  }

  private onMove(e: MouseEvent): void {
    if (this.drag) {
      const dx = e.clientX - this.drag.x;
      if (Math.abs(dx) > 3) this.drag.moved = true;
      if (this.drag.moved && this.win) {
        const span = this.drag.win.endUs - this.drag.win.startUs;
        const total = Math.max(this.totalUs, 1e-3);
        let start = this.drag.win.startUs - (dx / this.plotWidth()) * span;
        start = Math.max(0, Math.min(start, total - span));
        this.win = { startUs: start, endUs: start + span };
        this.draw();
      }
      return;
    }
    if (e.target !== this.canvas) return;
    const { x, y } = this.local(e);
    this.setHover(this.spanAt(x, y), x, y);
  }

  private onUp(e: MouseEvent): void {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.moved) {
      if (this.win) this.on.window(this.win);
      return;
    }
    if (e.target !== this.canvas) return;
    const { x, y } = this.local(e);
    const s = this.spanAt(x, y);
    if (s) this.on.click(s);
  }

  private setHover(s: TimelineEvent | null, x: number, y: number): void {
    if (s !== this.hovered) {
      this.hovered = s;
      this.draw();
    }
    this.canvas.style.cursor = s?.source ? 'pointer' : this.win ? 'grab' : 'default';
    this.on.hover(s, x, y);
  }
}
