/**
 * Driving the VS Code workbench the way a person does: the Command Palette (F1), Quick Open,
 * the editor's lines, inlay hints and hovers, the Problems panel, and the AutoDist panel's page
 * (a webview: two iframes deep). Every wait is bounded and says what a person would have seen.
 */
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { TimeoutError } from './harness.js';

/** Poll `probe` until it returns a value (not undefined), at most `ms`; `what` names what we wait for. */
export async function until<T>(ms: number, what: string, probe: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new TimeoutError(`${what} — not seen within ${(ms / 1000).toFixed(0)} s${last ? ` (last error: ${(last as Error).message.split('\n')[0]})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const norm = (s: string | null | undefined): string => (s ?? '').replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();

export class Workbench {
  constructor(readonly page: Page) {}

  /** The workbench is up: editor area, status bar, and the workspace's files in the explorer. */
  async ready(ms: number): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: ms });
    await this.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: ms });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: ms });
  }

  /** Any open quick input closed, focus back on the workbench. */
  async escape(): Promise<void> {
    for (let i = 0; i < 2; i++) {
      if (!(await this.page.locator('.quick-input-widget').isVisible())) return;
      await this.page.keyboard.press('Escape');
      await this.page.waitForTimeout(150);
    }
  }

  /** The row of the open quick input whose label reads exactly `label` (and, if given, whose description ends with `desc`). */
  private async quickRow(label: string, desc?: string): Promise<Locator | undefined> {
    const rows = this.page.locator('.quick-input-widget:not(.quick-input-widget-closing) .quick-input-list .monaco-list-row');
    const n = await rows.count();
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      const names = (await row.locator('.label-name').allTextContents()).map(norm);
      if (names[0] !== label) continue;
      if (desc === undefined) return row;
      const descs = (await row.locator('.label-description').allTextContents()).map(norm);
      if ((descs[0] ?? '').endsWith(desc)) return row;
    }
    return undefined;
  }

  /**
   * Open a quick input with `key`, type `text`, click the row `label` (desc: its folder). A palette
   * that opened while the previous one was still closing loses the typing: then try again.
   */
  private async pick(key: string, text: string, label: string, desc: string | undefined, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    let attempt = 0;
    for (;;) {
      attempt++;
      await this.escape();
      await this.page.keyboard.press(key);
      const input = this.page.locator('.quick-input-widget:not(.quick-input-widget-closing) .quick-input-box input');
      const left = () => Math.max(1000, deadline - Date.now());
      await input.waitFor({ state: 'visible', timeout: left() });
      await input.fill(text);
      const row = await until(Math.min(left(), 8000), what, () => this.quickRow(label, desc)).catch((e: Error) => {
        if (Date.now() > deadline || attempt >= 4) throw e;
        return undefined;
      });
      if (!row) continue;
      await row.click({ timeout: left() });
      return;
    }
  }

  /**
   * F1, type the command's title, pick the row that reads exactly `title` ("AutoDist: Simulate").
   * Returns once the palette has closed (or handed over to a quick pick the command opened).
   */
  async command(title: string, ms = 30_000): Promise<void> {
    await this.pick('F1', `>${title}`, title, undefined, ms, `the Command Palette lists "${title}"`);
    await until(ms, `the Command Palette closes after running "${title}"`, async () => {
      const open = this.page.locator('.quick-input-widget:not(.quick-input-widget-closing) .quick-input-box input');
      if (!(await open.isVisible())) return true;
      return (await open.inputValue()).startsWith('>') ? undefined : true;
    });
  }

  /** Quick Open (Ctrl+P) a workspace file by its relative path, in the first editor group; waits until its editor is active. */
  async openFile(rel: string, ms = 30_000): Promise<void> {
    // open it on the left, in the first group (the AutoDist panel sits beside it)
    await this.command('View: Focus First Editor Group', ms);
    const base = path.basename(rel);
    const dir = path.dirname(rel);
    await this.pick('Control+P', rel, base, dir === '.' ? undefined : dir, ms, `Quick Open lists ${rel}`);
    await until(ms, `the editor tab of ${base} is active`, async () => ((await this.page.locator(`.tabs-container .tab.active[aria-label*="${base}"]`).count()) > 0 ? true : undefined));
    await this.editor().locator('.view-lines').waitFor({ state: 'visible', timeout: ms });
  }

  /** The active text editor (the first group's visible one). */
  editor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /** The rendered line of the active editor whose text contains `snippet`. */
  line(snippet: string): Locator {
    return this.editor().locator('.view-line').filter({ hasText: snippet }).first();
  }

  /** The 1-based line numbers shown in the gutter, with their vertical positions. */
  private async gutter(): Promise<{ line: number; y: number }[]> {
    const out: { line: number; y: number }[] = [];
    for (const el of await this.editor().locator('.line-numbers').all()) {
      const n = Number(norm(await el.textContent()));
      const b = await el.boundingBox();
      if (n > 0 && b) out.push({ line: n, y: b.y });
    }
    return out.sort((a, b) => a.y - b.y);
  }

  /** The 1-based (logical) line of the editor an element sits on (wrapped lines included). */
  async lineOf(el: Locator): Promise<number> {
    const b = await el.boundingBox();
    if (!b) throw new Error('the element is not on screen');
    const g = (await this.gutter()).filter((x) => x.y <= b.y + 3);
    if (!g.length) throw new Error('no line number above the element');
    return g[g.length - 1].line;
  }

  /**
   * The inlay hints the active editor shows: their text and 1-based line. A hint that word wrap
   * broke over two rows comes as two pieces: they are joined in reading order (top to bottom,
   * left to right) with their own spacing.
   */
  async inlayHints(): Promise<{ line: number; text: string }[]> {
    const pieces: { line: number; x: number; y: number; raw: string }[] = [];
    for (const el of await this.editor().locator('.view-line span[class*="dyn-rule"]').all()) {
      const raw = ((await el.textContent()) ?? '').replace(/\u00a0/g, ' ');
      const b = await el.boundingBox();
      if (raw.trim() && b) pieces.push({ line: await this.lineOf(el), x: b.x, y: b.y, raw });
    }
    pieces.sort((a, b) => a.y - b.y || a.x - b.x);
    const byLine = new Map<number, string>();
    for (const p of pieces) byLine.set(p.line, (byLine.get(p.line) ?? '') + p.raw);
    return [...byLine.entries()].map(([line, text]) => ({ line, text: norm(text) }));
  }

  /** The AutoDist panel's page (the webview's inner frame that holds `main#app`), if open. */
  async panelFrame(): Promise<Frame | undefined> {
    for (const f of this.page.frames()) {
      if (f === this.page.mainFrame() || f.isDetached()) continue;
      try {
        if (await f.locator('main#app vscode-panels').count()) return f;
      } catch {
        /* a frame that went away meanwhile */
      }
    }
    return undefined;
  }

  async panel(ms: number): Promise<Frame> {
    return until(ms, 'the AutoDist panel is open beside the editor', () => this.panelFrame());
  }

  /** Pick a tab of the panel ("shards", "traffic", …) and wait until it shows. */
  async panelTab(id: string, ms = 15_000): Promise<Frame> {
    const f = await this.panel(ms);
    await f.locator(`#tab-${id}`).click({ timeout: ms });
    await until(ms, `the panel's ${id} tab is selected`, async () => ((await (await this.panel(ms)).locator(`vscode-panels[activeid="tab-${id}"]`).count()) ? true : undefined));
    return this.panel(ms);
  }

  /** The outer iframe of the panel's webview (for screenshots of what the panel shows). */
  panelElement(): Locator {
    return this.page.locator('iframe.webview.ready').first();
  }

  /** The Problems panel's rows (aria-label | text), shown and focused from the palette. */
  async problems(ms = 15_000): Promise<string[]> {
    await this.escape();
    const panel = this.page.locator('.markers-panel');
    await this.command('View: Focus Problems (Errors, Warnings, Infos)', ms);
    await panel.waitFor({ state: 'visible', timeout: ms });
    const rows = this.page.locator('.markers-panel .monaco-list-row');
    // rows, or the empty panel's "No problems have been detected in the workspace."
    await until(ms, 'the Problems panel shows its rows (or says there are none)', async () => ((await rows.count()) || /No problems/i.test(norm(await panel.textContent())) ? true : undefined));
    const out: string[] = [];
    for (const r of await rows.all()) out.push(`${norm(await r.getAttribute('aria-label'))} | ${norm(await r.textContent())}`);
    return out;
  }
}
