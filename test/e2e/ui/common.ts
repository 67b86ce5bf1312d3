/**
 * What the UI scenarios share: the context they get from run.ts, the bounds of their waits, and
 * `simulate` — open a script, run a command from the palette, wait for the panel's verdict.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import type { Harness } from '../lib/harness.js';
import { until, type Workbench } from '../lib/workbench.js';

/** Bounds of the waits (a 2-core machine: the full-size FFN simulates in ~30 s, the GPT-2 in ~50 s). */
export const RUN_MS = 240_000;
export const UI_MS = 20_000;

export interface UiContext {
  readonly h: Harness;
  readonly wb: Workbench;
  readonly workspace: string;
  /** Save a screenshot of the page (or a part of it) as test-results/e2e/<name>.png. */
  shot(name: string, what?: 'page' | 'panel' | 'editor' | 'problems'): Promise<string>;
  /** Console errors the panel's page logged so far. */
  panelConsoleErrors(): string[];
}

export const norm = (s: string | null | undefined): string => (s ?? '').replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();

/** 1-based line of the first line of a workspace file that contains `snippet`. */
export function lineIn(ws: string, rel: string, snippet: string): number {
  const i = readFileSync(path.join(ws, rel), 'utf8').split('\n').findIndex((l) => l.includes(snippet));
  if (i < 0) throw new Error(`${rel} has no line with "${snippet}"`);
  return i + 1;
}

/** 1-based line of the first line of a workspace file that matches `re`. */
export function lineMatching(ws: string, rel: string, re: RegExp): number {
  const i = readFileSync(path.join(ws, rel), 'utf8').split('\n').findIndex((l) => re.test(l));
  if (i < 0) throw new Error(`${rel} has no line matching ${re}`);
  return i + 1;
}

/** The shipped example if examples/ has it, else the suite's own script of the same kind. */
export function pickScript(ws: string, shipped: string, own: string): string {
  return existsSync(path.join(ws, shipped)) ? shipped : own;
}

export async function cells(row: ReturnType<Frame['locator']>): Promise<string[]> {
  return (await row.locator('td').allTextContents()).map(norm);
}

/**
 * Open `rel`, run `title` from the palette, wait until the panel shows a finished run of that
 * script (its verdict banner has a status). Returns the verdict's status and text.
 */
export async function simulate(c: UiContext, rel: string, title = 'AutoDist: Simulate', runningShot?: string): Promise<{ status: string; text: string }> {
  const { wb } = c;
  await wb.openFile(rel);
  const base = path.basename(rel);
  await wb.command(title);
  // the panel's heading names the script once the page has the new run (not the previous one's)
  await until(UI_MS, `the panel's heading names ${base}`, async () => ((await (await wb.panel(UI_MS)).locator('h2.title').textContent())?.includes(base) ? true : undefined));
  if (runningShot) {
    await until(RUN_MS, 'the panel shows the run in progress', async () => ((await (await wb.panel(UI_MS)).locator('.status.running').count()) ? true : undefined)).catch(() => undefined);
    await c.shot(runningShot, 'page');
  }
  // finished: the overview's verdict banner carries data-status (or the run failed: class failed)
  await (await wb.panelTab('overview')).locator('.verdict').first().waitFor({ timeout: UI_MS });
  return until(RUN_MS, `the run of ${base} finishes and the panel shows its verdict`, async () => {
    const p = await wb.panel(UI_MS);
    const v = p.locator('#view-overview .verdict').first();
    const status = await v.getAttribute('data-status');
    const cls = (await v.getAttribute('class')) ?? '';
    if (status) return { status, text: norm(await v.textContent()) };
    if (/\bfailed\b/.test(cls)) return { status: 'run-failed', text: norm(await v.textContent()) };
    return undefined;
  }, 500);
}

