/**
 * The panel's UI in headless Chromium, fed a recorded run (the seed-003 FFN in meta mode, made
 * by runSimulation) the way the host feeds it, and checked by what it shows. Screenshots of every
 * tab, dark and light, go to test-results/webview/.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (CI: `apt-get install -y chromium`); without it
 * the suite is skipped. It installs nothing itself.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { HistoryEntry, HostMessage, TabId } from '../../src/protocol.js';
import { summarizeRun, type RunSummary } from '../../src/report/compare.js';
import { runScript } from '../../src/runner/run-script.js';
import { TABS } from '../../src/protocol.js';
import { BIAS_BUG, DEADLOCK, EXAMPLE, lineOf } from '../extension/helpers/reports.js';
import { finishedRun, PIPELINE, recordSeed, type Recording } from './helpers/recording.js';
import { buildBundle, servePanel, type PageServer } from './helpers/server.js';

const CHROMIUM = process.env.AUTODIST_CHROMIUM ?? '/usr/bin/chromium'; // Debian's chromium
const skip = existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (CI installs it: apt-get install -y chromium); skipping the webview UI tests`;
const SHOTS = path.resolve(__dirname, '../../test-results/webview');

let browser: Browser;
let server: PageServer;
let rec: Recording;

/** Everything the page posted to the host so far. */
const posted = (page: Page) => page.evaluate(() => (globalThis as unknown as { __posted: { type: string; [k: string]: unknown }[] }).__posted);

/** Deliver host messages as VS Code does (message events on the window). */
async function send(page: Page, msgs: readonly HostMessage[]): Promise<void> {
  await page.evaluate((ms) => {
    for (const m of ms) (globalThis as unknown as { postMessage(m: unknown, origin: string): void }).postMessage(m, '*');
  }, msgs);
}

async function tab(page: Page, id: TabId): Promise<void> {
  await page.click(`#tab-${id}`);
  await page.waitForFunction((t) => (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string | null } | null } }).document.querySelector('vscode-panels')?.getAttribute('activeid') === `tab-${t}`, id);
}

/** Pixels of the timeline canvas that are drawn in a color (bars), not grey (labels, grid). */
async function coloredPixels(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    const c = document.querySelector('canvas.gantt');
    if (!c || !c.width) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - d[i + 1]) + Math.abs(d[i + 1] - d[i + 2]) > 80) n++;
    return n;
  })()`);
}

const texts = (page: Page, sel: string) => page.locator(sel).allTextContents();

async function openPanel(theme: 'dark' | 'light' | 'high-contrast' = 'dark'): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${server.url}/?theme=${theme}`);
  await page.waitForFunction(() => (globalThis as unknown as { __posted: unknown[] }).__posted.length > 0);
  return { page, problems };
}

describe('the AutoDist panel in Chromium', { skip }, () => {
  before(async () => {
    const { chromium } = await import('playwright-core');
    const [bundle, recording] = await Promise.all([buildBundle(), recordSeed()]);
    rec = recording;
    server = await servePanel(bundle);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('live: the mesh, the ledger and the timeline grow as the run streams', async () => {
    const { page, problems } = await openPanel();
    assert.deepEqual(await posted(page), [{ type: 'ready', runId: null }], 'a fresh page asks for the run');
    const [started, ...batches] = rec.live;
    await send(page, [started, batches[0]]); // runStarted, then "loaded" and the first events
    await page.locator('.rank-cell').nth(3).waitFor({ state: 'attached' });
    assert.equal(await page.locator('.rank-cell').count(), 4);
    assert.match((await page.locator('.status').textContent()) ?? '', /meta mode/);

    await tab(page, 'traffic');
    const rowsSeen: number[] = [];
    for (const b of batches.slice(1)) {
      await send(page, [b]);
      await page.waitForTimeout(20);
      rowsSeen.push(await page.locator('tr.ledger-row').count());
    }
    assert.equal(rowsSeen.at(-1), 2, 'both all-reduces are listed before the report arrives');
    assert.ok(rowsSeen.some((n) => n < 2), `rows appear one by one (${rowsSeen.join(',')})`);
    await page.screenshot({ path: path.join(SHOTS, 'dark-live-traffic.png'), fullPage: true });
    // a big run streams its first collectives, then tallies: the totals say how many were recorded
    await send(page, [{ type: 'runEvents', runId: started.type === 'runStarted' ? started.run.id : -1, events: [{ kind: 'tally', collectives: 70_000, events: 280_000 }] }]);
    await page.waitForFunction(() => /the first 2 of 70,000 recorded so far/.test((globalThis as unknown as { document: { body: { textContent: string } } }).document.body.textContent));
    await page.screenshot({ path: path.join(SHOTS, 'dark-live-traffic-tally.png'), fullPage: true });
    await tab(page, 'timeline');
    await page.waitForTimeout(50);
    assert.ok((await coloredPixels(page)) > 100, 'live timeline bars are drawn');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a PyTorch file without a device mesh: the heading reads "Mesh: world 4", not dp 1 × pp 1 × tp 1 × world 4', async () => {
    const { page } = await openPanel();
    if (rec.finished.type !== 'runFinished') throw new Error('the recording did not finish');
    const r = rec.finished.report;
    const world = { ...r, mesh: { ...r.mesh, axes: ['world'], sizes: [r.mesh.worldSize], coords: r.mesh.coords.map((_, i) => ({ world: i })) } };
    await send(page, [...rec.live, { ...rec.finished, report: world }]);
    await page.locator('.verdict[data-status]').waitFor();
    assert.equal(((await page.locator('.mesh h3').textContent()) ?? '').replace(/\s+/g, ' ').trim(), 'Mesh: world 4');
  });

  test('the final report replaces the live view: mesh, verdict, shards, traffic, timeline', async () => {
    const { page, problems } = await openPanel();
    await send(page, [...rec.live, rec.finished]);
    const report = rec.seed.report;
    const verdict = rec.finished.type === 'runFinished' ? rec.finished.verdict.text : '';

    // overview: tp=4 → one row of 4 ranks, labeled with coordinates; the verdict
    await page.locator('.verdict[data-status]').waitFor();
    assert.equal(await page.locator('.verdict').textContent(), verdict);
    assert.equal(verdict, 'shapes and traffic only (meta mode)');
    assert.deepEqual(await texts(page, '.rank-cell .rank-id'), ['rank 0', 'rank 1', 'rank 2', 'rank 3']);
    assert.deepEqual(await texts(page, '.rank-cell .rank-coords'), ['dp0 · pp0 · tp0', 'dp0 · pp0 · tp1', 'dp0 · pp0 · tp2', 'dp0 · pp0 · tp3']);
    assert.match((await page.locator('.mesh h3').textContent()) ?? '', /dp 1 × pp 1 × tp 4/);
    assert.match((await page.locator('.estimates').textContent()) ?? '', /step time.*memory/s);

    // shards: fc1 and fc2 weights are [1024, 1024] on every rank
    await tab(page, 'shards');
    for (const [module, global, placement] of [['fc1', '[1024, 4096]', 'Shard(1)'], ['fc2', '[4096, 1024]', 'Shard(0)']]) {
      const rows = page.locator(`tr.shard-row[data-module="${module}"][data-param="weight"]`);
      assert.equal(await rows.count(), 4, module);
      for (let i = 0; i < 4; i++) {
        const cells = await rows.nth(i).locator('td').allTextContents();
        assert.deepEqual(cells.slice(5, 8), [global, '[1024, 1024]', placement], `${module} rank ${i}`);
      }
    }
    for (const module of ['fc1', 'fc2']) {
      const outs = page.locator(`tr.output-row[data-module="${module}"]`);
      assert.deepEqual(await outs.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-rank'))), ['0', '1', '2', '3'], `${module}'s outputs`);
      for (const cells of await Promise.all((await outs.all()).map((r) => r.locator('td').allTextContents()))) assert.equal(cells[3], '[8, 128, 1024]');
    }
    await page.fill('#shard-filter input', 'fc2 bias');
    await page.locator('#shard-filter').dispatchEvent('input');
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('tr.shard-row').length === 4);
    assert.deepEqual(new Set(await page.locator('tr.shard-row').evaluateAll((rs) => rs.map((r) => (r as unknown as { dataset: { param: string } }).dataset.param))), new Set(['bias']));
    await page.fill('#shard-filter input', '');
    await page.locator('#shard-filter').dispatchEvent('input');

    // traffic: one forward and one backward all-reduce of 4,194,304 bytes, 6,291,456 sent per rank
    await tab(page, 'traffic');
    const rows = page.locator('tr.ledger-row');
    assert.equal(await rows.count(), 2);
    const ledger = await rows.evaluateAll((rs) => rs.map((r) => {
      const el = r as unknown as { dataset: Record<string, string>; querySelector(s: string): { textContent: string } | null };
      return [el.dataset.phase, el.dataset.op, el.querySelector('.bytes')?.textContent, el.querySelector('.sent')?.textContent];
    }));
    assert.deepEqual(ledger, [
      ['forward', 'all_reduce', '4,194,304', '6,291,456'],
      ['backward', 'all_reduce', '4,194,304', '6,291,456'],
    ]);
    assert.equal(report.collectives[0].bytes, 4_194_304);
    // chart.js arrives on first draw (media/charts.js, by the page's nonce)
    await page.locator('.charts canvas').nth(3).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.charts canvas').count(), 4, 'per kind, axis, phase, rank');
    assert.match((await page.locator('.totals').textContent()) ?? '', /2 collectives · logical 8\.0 MiB \(8,388,608 B\) · on the wire 48\.0 MiB/);

    // a ledger row opens its line
    await rows.first().click();
    const open = (await posted(page)).filter((m) => m.type === 'openSource');
    assert.deepEqual(open, [{ type: 'openSource', file: EXAMPLE, line: lineOf(EXAMPLE, 'new RowParallelLinear('), column: report.collectives[0].source?.column }]);

    // timeline: bars on a canvas; zoom is kept in the saved state
    await tab(page, 'timeline');
    await page.waitForTimeout(50);
    assert.ok((await coloredPixels(page)) > 200, 'the Gantt is drawn');
    await page.click('#zoom-in');
    await page.waitForTimeout(300);
    const saved = await page.evaluate(() => JSON.parse((globalThis as unknown as { sessionStorage: { getItem(k: string): string } }).sessionStorage.getItem('vscode-state')) as { ui: { window: { startUs: number; endUs: number } | null; tab: string } });
    assert.ok(saved.ui.window && saved.ui.window.endUs - saved.ui.window.startUs > 0, 'zoomed window saved');
    assert.equal(saved.ui.tab, 'timeline');

    // verification: meta mode says why nothing was compared
    await tab(page, 'verification');
    assert.match((await page.locator('#view-verification').textContent()) ?? '', /Not compared: meta mode has shapes only/);
    assert.deepEqual(problems, [], 'no CSP violation, no error');
    await page.close();
  });

  test('hidden and shown again (a reload): the same view from getState, without the host', async () => {
    const { page, problems } = await openPanel();
    await send(page, [...rec.live, rec.finished]);
    await page.locator('.verdict[data-status]').waitFor();
    await tab(page, 'traffic');
    await page.fill('#ledger-filter input', 'backward');
    await page.locator('#ledger-filter').dispatchEvent('input');
    await page.waitForTimeout(400); // the state is saved shortly after a change
    await page.reload();
    await page.waitForFunction(() => (globalThis as unknown as { __posted: unknown[] }).__posted.length > 0);
    assert.deepEqual(await posted(page), [{ type: 'ready', runId: 1 }], 'tells the host it already shows run 1');
    await page.locator('tr.ledger-row').first().waitFor({ state: 'attached' });
    assert.equal(await page.locator('vscode-panels').getAttribute('activeid'), 'tab-traffic');
    assert.equal(await page.locator('tr.ledger-row').count(), 1, 'the filter is kept');
    assert.equal(await page.locator('#ledger-filter').evaluate((e) => (e as unknown as { value: string }).value), 'backward');
    assert.equal(await page.locator('.status').textContent(), 'shapes and traffic only (meta mode)');
    await tab(page, 'overview');
    assert.equal(await page.locator('.rank-cell').count(), 4);
    assert.deepEqual(await posted(page), [{ type: 'ready', runId: 1 }], 'nothing asked of the host');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a dp=2 × pp=2 × tp=2 mesh: two dp blocks of 2 × 2 ranks colored by stage; waits on the timeline', async () => {
    const { msg, seed } = await finishedRun(PIPELINE, 3);
    const { page, problems } = await openPanel();
    await send(page, [msg]);
    await page.locator('.verdict[data-status]').waitFor();
    assert.deepEqual(await texts(page, '.mesh-block figcaption'), ['dp=0', 'dp=1']);
    const cells = await page.locator('.rank-cell').evaluateAll((cs) => cs.map((c) => {
      const e = c as unknown as { dataset: { rank: string; stage: string }; style: { borderColor: string } };
      return [Number(e.dataset.rank), Number(e.dataset.stage), e.style.borderColor];
    }));
    assert.equal(cells.length, 8);
    for (const [rank, stage] of cells) assert.equal(stage, seed.report.mesh.coords[rank as number].pp);
    const colors = new Map(cells.map(([, stage, color]) => [stage, color]));
    assert.equal(colors.size, 2);
    assert.notEqual(colors.get(0), colors.get(1), 'the two stages have two colors');
    await page.screenshot({ path: path.join(SHOTS, 'dark-pipeline-overview.png'), fullPage: true });
    await tab(page, 'stages');
    assert.equal(await page.locator('.stage-bar').count(), 2);
    await tab(page, 'timeline');
    await page.waitForTimeout(100);
    assert.ok(seed.report.timeline.events.some((e) => e.kind === 'wait'), 'the run has waits');
    assert.match((await page.locator('.timeline-info').textContent()) ?? '', /idle \d+\.\d% of the step/);
    // the canvas's data-* hooks: its geometry, what it shows, the bar under the pointer
    const gantt = page.locator('canvas.gantt');
    const d = await gantt.evaluate((c) => ({ ...(c as unknown as { dataset: Record<string, string> }).dataset }));
    assert.equal(d.rows, '8');
    assert.equal(Number(d.spans), seed.report.timeline.events.length);
    assert.equal(Number(d.waits), seed.report.timeline.events.filter((e) => e.kind === 'wait').length);
    assert.equal(Number(d.startUs), 0);
    assert.ok(Number(d.endUs) >= seed.report.timeline.stepTimeUs * 0.999, `${d.endUs} ≥ ${seed.report.timeline.stepTimeUs}`);
    const stage1 = seed.report.mesh.coords.findIndex((c) => c.pp === 1);
    const firstWait = seed.report.timeline.events.filter((e) => e.rank === stage1 && e.kind === 'wait').sort((a, b) => a.startUs - b.startUs)[0];
    const box = (await gantt.boundingBox())!;
    const t = (firstWait.startUs + firstWait.endUs) / 2;
    const x = Number(d.plotLeft) + ((t - Number(d.startUs)) / (Number(d.endUs) - Number(d.startUs))) * Number(d.plotWidth);
    const y = Number(d.axisHeight) + (stage1 + 0.5) * Number(d.rowHeight);
    await page.mouse.move(box.x + x, box.y + y);
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { dataset: { hover?: string } } } }).document.querySelector('canvas.gantt').dataset.hover !== undefined);
    assert.equal(await gantt.getAttribute('data-hover'), `${stage1} wait ${firstWait.name}`, 'the data-* geometry finds the bar a person hovers');
    await page.mouse.move(1, 1);
    await page.screenshot({ path: path.join(SHOTS, 'dark-pipeline-timeline.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a failed run: the divergence with a jump to its line; a deadlock with every waiting rank', async () => {
    const bias = await finishedRun(BIAS_BUG, 4);
    const { page, problems } = await openPanel();
    await send(page, [bias.msg]);
    await page.locator('.verdict[data-status="diverged"]').waitFor();
    await tab(page, 'verification');
    assert.match((await page.locator('.divergence').textContent()) ?? '', /First divergence: fc2 \(output\).*the bias is added on each of 4 ranks before the all-reduce/s);
    assert.ok((await page.locator('tr.check-fail').count()) >= 1);
    assert.ok((await page.locator('tr.check-pass').count()) >= 1);
    assert.equal(await page.locator('tr.check[data-name="fc2"][data-passed="false"]').count(), 1, 'the failed check of fc2 by its data-* hooks');
    await page.screenshot({ path: path.join(SHOTS, 'dark-divergence-verification.png'), fullPage: true });
    await page.click('#goto-divergence');
    const open = (await posted(page)).filter((m) => m.type === 'openSource');
    assert.deepEqual(open.map((m) => [m.file, m.line]), [[BIAS_BUG, lineOf(BIAS_BUG, '@bias-bug')]]);

    const dl = await finishedRun(DEADLOCK, 5);
    await send(page, [dl.msg]);
    await page.locator('.verdict[data-status="failed"]').waitFor();
    assert.deepEqual(await page.locator('li.rank-error').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-rank'))), ['0', '1']);
    const errs = await page.locator('.error li').allTextContents();
    assert.deepEqual(errs.map((t) => t.replace(/\s+\S+:\d+$/, '')), ['rank 0: waits in recv [4, 8] float32 from rank 1 (tag 0)', 'rank 1: waits in recv [4, 8] float32 from rank 0 (tag 0)']);
    assert.equal(await page.locator('vscode-panel-tab#tab-verification .tab-badge').textContent(), '1');
    await page.screenshot({ path: path.join(SHOTS, 'dark-deadlock-verification.png'), fullPage: true });
    await page.locator('.error li a.source').nth(1).click();
    const last = (await posted(page)).filter((m) => m.type === 'openSource').at(-1);
    assert.deepEqual([last?.file, last?.line], [DEADLOCK, lineOf(DEADLOCK, '@recv-on-1')]);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('Compare: two runs side by side from the history, the best of each row, the latest run against the previous run of its file', async () => {
    const ex = (f: string) => path.join(path.resolve(__dirname, '../..'), 'examples', 'ffn_strategies', f);
    const [colRow, rowRow, a2a] = await Promise.all(['col_row.ts', 'row_row.ts', 'col_all_to_all.ts'].map((f) => runScript(ex(f), {}).then(summarizeRun)));
    // the person's ffn.ts first held the all-to-all attempt, then Megatron's Col+Row; Row+Row ran in between
    const entry = (key: string, name: string, summary: RunSummary, at: number): HistoryEntry => ({ key, name, finishedAt: at, summary });
    const runs = [entry('c', 'ffn.ts', { ...colRow, script: '/w/ffn.ts' }, 3e12), entry('b', 'row_row.ts', rowRow, 2e12), entry('a', 'ffn.ts', { ...a2a, script: '/w/ffn.ts' }, 1e12)];
    const { page, problems } = await openPanel('dark');
    await send(page, [{ type: 'history', runs }]);
    await tab(page, 'compare');
    await page.locator('#compare-table').waitFor();
    // the two latest by default, oldest left
    assert.deepEqual(await texts(page, '#compare-table thead th'), ['', 'row_row.ts', 'ffn.ts']);
    const cells = async (label: string) => (await page.locator(`#compare-table tr[data-row="${label}"] td`).allTextContents());
    assert.deepEqual(await cells('total wire'), ['180.0 MiB', '★ 48.0 MiB']);
    assert.deepEqual(await cells('verdict'), ['verified', 'verified'], 'no star where every run is as good');
    // the all-to-all attempt moved 87 MiB (48 + 39) and its step was shorter (it skips fc1's dX all-reduce)
    assert.match((await texts(page, '#compare-delta'))[0], /^ffn\.ts against its previous run: wire −39\.0 MiB, step \+[\d.]+ µs, peak memory [+−][\d.]+ (KiB|MiB), now verified$/);
    await page.screenshot({ path: path.join(SHOTS, 'dark-compare-history.png'), fullPage: true });
    // a third run ticked in: three columns, the all-to-all attempt not the best at anything but never the verdict
    await page.locator('li[data-key="a"] input[type=checkbox]').check();
    assert.deepEqual(await texts(page, '#compare-table thead th'), ['', 'ffn.ts', 'row_row.ts', 'ffn.ts']);
    assert.deepEqual(await cells('total wire'), ['87.0 MiB', '180.0 MiB', '★ 48.0 MiB']);
    assert.deepEqual(await cells('verdict'), ['NOT VERIFIED', '★ verified', '★ verified']);
    await page.screenshot({ path: path.join(SHOTS, 'dark-compare-history-three.png'), fullPage: true });
    // the choice goes into the saved state (setState, debounced)
    await page.waitForFunction(() => (JSON.parse((globalThis as unknown as { sessionStorage: { getItem(k: string): string } }).sessionStorage.getItem('vscode-state')) as { ui: { compare?: string[] } }).ui.compare?.length === 3);
    const saved = await page.evaluate(() => JSON.parse((globalThis as unknown as { sessionStorage: { getItem(k: string): string } }).sessionStorage.getItem('vscode-state')) as { ui: { compare: string[] } });
    assert.deepEqual([...saved.ui.compare].sort(), ['a', 'b', 'c']);
    await page.locator('#btn-compare-scripts').click();
    assert.deepEqual((await posted(page)).at(-1), { type: 'command', command: 'compareScripts' });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('screenshots of every tab: dark, light and high contrast', async () => {
    for (const theme of ['dark', 'light', 'high-contrast'] as const) {
      const { page, problems } = await openPanel(theme);
      await send(page, [...rec.live, rec.finished]);
      await page.locator('.verdict[data-status]').waitFor();
      for (const t of TABS) {
        await tab(page, t);
        await page.waitForTimeout(120);
        await page.screenshot({ path: path.join(SHOTS, `${theme}-${t}.png`), fullPage: true });
      }
      assert.deepEqual(problems, []);
      await page.close();
    }
  });
});
