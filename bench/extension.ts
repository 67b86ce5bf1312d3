/**
 * Issue 6: the extension's activation ≤ 100 ms and the panel's first paint ≤ 1 s.
 *
 *   extension.activation    `require('dist/extension.js')` + `activate(context)` in a fresh Node
 *                           process each time (so loading the bundle and the Node built-ins it
 *                           pulls in counts), with the fake `vscode` module of the unit tests
 *                           (test/extension/helpers/vscode-fake.ts, bundled to a temp file by
 *                           esbuild and loaded before the clock starts: in VS Code the host
 *                           provides `vscode`). The real WorkerRunner (no worker starts at
 *                           activation). Median of 5; target ≤ 100 ms.
 *
 *   extension.first-paint   "AutoDist: Simulate" on examples/ffn_tp4.ts, in this process: the real
 *                           dist/extension.js activated with the fake `vscode` and the real
 *                           WorkerRunner (the worker thread loads the script and runs it), the
 *                           panel's page in headless Chromium (/usr/bin/chromium) as the webview
 *                           tests serve it (test/webview: panelHtml with its CSP and nonce, the
 *                           theme's variables, the fixture fake-vscode-api.js, media/webview.js and
 *                           media/webview.css as built). The fake webview panel is bridged to the
 *                           page as VS Code does it: messages the host posts before the page has
 *                           loaded are queued and delivered once it has (VS Code keeps pending
 *                           messages), then in order as they come; what the page posts (its
 *                           `ready`) goes to the panel's onDidReceiveMessage, which replays.
 *                           The clock starts just before executeCommand('autodist.simulate'); the
 *                           page (a new page in one browser context, created when the extension
 *                           creates its webview panel: Chromium itself is already running, as
 *                           VS Code's renderer is) is created and loaded inside the timed span.
 *                           Marks, all on the epoch clock (performance.timeOrigin +
 *                           performance.now(), host and page):
 *                             panel       createWebviewPanel called by the extension
 *                             page        Chromium's new page exists (playwright newPage: the
 *                                         harness's share, in VS Code an iframe in its renderer)
 *                             navigation  the page's navigation start (performance.timeOrigin)
 *                             shell       first-contentful-paint ("Loading…", before our script)
 *                             loaded      the page's load event (page.goto resolved)
 *                             message     the first HostMessage reaching the page (a capturing
 *                                         `message` listener installed before the page's script)
 *                             overview    the overview shows the run (its `.verdict` banner —
 *                                         "running…"/progress — with the title and run facts);
 *                                         time of the first animation frame after that DOM is in
 *                                         place, i.e. after the frame that paints it (≤ 1 frame late)
 *                             mesh        the overview's rank grid (4 `.rank-cell`s), which needs
 *                                         the worker to have booted and loaded the script; same
 *                                         frame rule
 *                           Target ≤ 1 s on `overview` (first paint of the panel with content),
 *                           median of 3; `mesh` is printed beside it, and `overview` without the
 *                           page creation (overview − (navigation − panel)). After `mesh` each run is
 *                           stopped (autodist.stop): the numeric run itself is what
 *                           runner.seed003-vs-torch-gloo times.
 *   Without Chromium the entry says "skipped" and passes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import Module, { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { COMMANDS } from '../src/extension/ids.js';
import { makeNonce, panelHtml } from '../src/extension/panel/html.js';
import * as fake from '../test/extension/helpers/vscode-fake.js';
import type { Bench, BenchResult } from './suite.js';

const root = path.resolve(__dirname, '..');
const EXTENSION = path.join(root, 'dist/extension.js');
const EXAMPLE = path.join(root, 'examples/ffn_tp4.ts');
const FIXTURES = path.join(root, 'test/webview/fixtures');
const CHROMIUM = process.env.AUTODIST_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Packages resolved at run time from the project (not bundled into dist/bench.js). */
const projectRequire = createRequire(path.join(root, 'package.json'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(0)} ms`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(', ');
const epoch = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- activation

/** The child: loads the fake vscode (untimed), then times require + activate. Prints one JSON line. */
const ACTIVATION_CHILD = `
const Module = require('node:module');
const [fakePath, extPath, root, storage] = process.argv.slice(1);
const fake = require(fakePath);
const M = Module;
const original = M._resolveFilename;
M._resolveFilename = function (request, ...rest) { return request === 'vscode' ? fakePath : original.call(this, request, ...rest); };
const context = { subscriptions: [], extensionUri: fake.Uri.file(root), extensionPath: root, globalStorageUri: fake.Uri.file(storage) };
const bootMs = performance.now();
const t0 = performance.now();
const ext = require(extPath);
const t1 = performance.now();
const api = ext.activate(context);
const t2 = performance.now();
if (!api || !api.controller) throw new Error('activate returned no API');
const out = { requireMs: t1 - t0, activateMs: t2 - t1, totalMs: t2 - t0, bootMs, commands: fake.state.commands.size, subscriptions: context.subscriptions.length };
for (const d of context.subscriptions) d.dispose();
process.stdout.write(JSON.stringify(out) + '\\n');
`;

/** test/extension/helpers/vscode-fake.ts as a CommonJS file the child can require. */
function bundleFake(dir: string): string {
  const esbuild = projectRequire('esbuild') as typeof import('esbuild');
  const out = path.join(dir, 'vscode-fake.js');
  esbuild.buildSync({ absWorkingDir: root, entryPoints: [path.join(root, 'test/extension/helpers/vscode-fake.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node18', outfile: out, logLevel: 'warning' });
  return out;
}

export const activationBench: Bench = {
  id: 'extension.activation',
  async run(): Promise<BenchResult> {
    if (!existsSync(EXTENSION)) return { id: this.id, pass: false, summary: `${EXTENSION} is missing: npm run build` };
    const dir = mkdtempSync(path.join(tmpdir(), 'autodist-activation-'));
    try {
      const fakeJs = bundleFake(dir);
      const runs: { requireMs: number; activateMs: number; totalMs: number; bootMs: number; commands: number; subscriptions: number }[] = [];
      const loadBefore = load();
      for (let i = 0; i < 5; i++) {
        const out = execFileSync(process.execPath, ['-e', ACTIVATION_CHILD, fakeJs, EXTENSION, root, path.join(dir, 'storage')], { cwd: root, encoding: 'utf8' });
        runs.push(JSON.parse(out.trim().split('\n').at(-1)!));
      }
      const total = median(runs.map((r) => r.totalMs));
      const mid = runs.find((r) => r.totalMs === total)!;
      return {
        id: this.id,
        pass: total <= 100,
        summary: `${total.toFixed(1)} ms median of 5 fresh processes: require ${mid.requireMs.toFixed(1)} ms + activate ${mid.activateMs.toFixed(1)} ms (target ≤ 100 ms)`,
        details: [
          `each run: ${runs.map((r) => `${r.totalMs.toFixed(1)}`).join(', ')} ms (require + activate); dist/extension.js ${(readFileSync(EXTENSION).length / 1024).toFixed(0)} KiB; ${mid.commands} commands registered, ${mid.subscriptions} subscriptions`,
          `measured: require('dist/extension.js') + activate(context) with the unit tests' fake vscode (loaded before the clock) and the real WorkerRunner; Node boot before it (not counted): ${ms(median(runs.map((r) => r.bootMs)))}`,
          `load average before: ${loadBefore}, after: ${load()} (2 cores)`,
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

// ---------------------------------------------------------------- first paint

/** Appended to the fixture's fake acquireVsCodeApi: what the page posts also goes to the host. */
const TO_HOST = `
(function () {
  var acquire = window.acquireVsCodeApi;
  window.acquireVsCodeApi = function () {
    var api = acquire();
    var post = api.postMessage;
    api.postMessage = function (m) { post(m); if (window.__toHost) window.__toHost(JSON.parse(JSON.stringify(m))); };
    return api;
  };
})();
`;

/** Runs in the page before its scripts: the marks (epoch ms; -1 while the frame is pending). */
const PAGE_MARKS = `
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const t = (window.__marks = { nav: performance.timeOrigin, message: null, overview: null, mesh: null, verdict: null, fcp: null });
  window.addEventListener('message', (e) => { if (t.message === null && e.data && typeof e.data.type === 'string') t.message = now(); }, true);
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name === 'first-contentful-paint' && t.fcp === null) t.fcp = performance.timeOrigin + e.startTime; }).observe({ type: 'paint', buffered: true });
  } catch (e) {}
  const mark = (key, sel, n) => {
    if (t[key] !== null || document.querySelectorAll(sel).length < n) return;
    t[key] = -1;
    requestAnimationFrame(() => { t[key] = now(); });
  };
  const check = () => {
    mark('overview', '#view-overview .verdict', 1);
    mark('mesh', '#view-overview .rank-cell', 4);
    mark('verdict', '#view-overview .verdict[data-status]', 1);
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
})();
`;

interface PageMarks {
  nav: number | null;
  message: number | null;
  overview: number | null;
  mesh: number | null;
  verdict: number | null;
  fcp: number | null;
}

/** The panel's page as test/webview/helpers/server.ts serves it, with media/webview.js as built. Loopback only. */
async function servePage(): Promise<{ url: string; close(): Promise<void> }> {
  const files: Record<string, [string, string]> = {
    '/media/webview.js': ['text/javascript', readFileSync(path.join(root, 'media/webview.js'), 'utf8')],
    '/media/charts.js': ['text/javascript', readFileSync(path.join(root, 'media/charts.js'), 'utf8')],
    '/media/webview.css': ['text/css', readFileSync(path.join(root, 'media/webview.css'), 'utf8')],
    '/fake-vscode-api.js': ['text/javascript', readFileSync(path.join(FIXTURES, 'fake-vscode-api.js'), 'utf8') + TO_HOST],
    '/theme-dark.css': ['text/css', readFileSync(path.join(FIXTURES, 'theme-dark.css'), 'utf8')],
  };
  let origin = '';
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', origin);
    if (u.pathname === '/') {
      const nonce = makeNonce();
      let html = panelHtml({ cspSource: origin, nonce, scriptUri: `${origin}/media/webview.js`, styleUri: `${origin}/media/webview.css` });
      html = html.replace('<link rel="stylesheet"', `<link rel="stylesheet" href="${origin}/theme-dark.css">\n<link rel="stylesheet"`);
      html = html.replace(`<script nonce="${nonce}"`, `<script nonce="${nonce}" src="${origin}/fake-vscode-api.js"></script>\n<script nonce="${nonce}"`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    const f = files[u.pathname];
    res.writeHead(f ? 200 : u.pathname === '/favicon.ico' ? 204 : 404, f ? { 'content-type': f[0] } : {});
    res.end(f?.[1]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: origin, close: () => new Promise((r) => server.close(() => r())) };
}

type Loader = { _load(request: string, parent: unknown, isMain: boolean): unknown };

interface PaintRun {
  panel: number;
  pageCreated: number;
  firstPost: number;
  loadedEvent: number;
  pageLoaded: number;
  marks: PageMarks;
  problems: string[];
}

/** One "AutoDist: Simulate", timed to the marks; the run is stopped once the mesh is painted. */
async function simulateOnce(browser: BrowserContext, url: string, ext: { activate(ctx: unknown): unknown }): Promise<PaintRun> {
  fake.reset();
  const storage = mkdtempSync(path.join(tmpdir(), 'autodist-storage-'));
  const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: fake.Uri.file(root), extensionPath: root, globalStorageUri: fake.Uri.file(storage) };
  ext.activate(context);
  const problems: string[] = [];
  const times = { panel: NaN, firstPost: NaN, loadedEvent: NaN, pageCreated: NaN, pageLoaded: NaN };
  let page: Page | undefined;
  let closing = false;
  let chain: Promise<unknown> = Promise.resolve();
  let opening: Promise<void> | undefined;
  const createPanel = fake.window.createWebviewPanel;
  fake.window.createWebviewPanel = (viewType: string, title: string, showOptions: unknown, options: Record<string, unknown>) => {
    times.panel = epoch();
    const p = createPanel(viewType, title, showOptions, options);
    let ready = false;
    const queue: unknown[] = [];
    const deliver = (ms: unknown[]) => {
      const pg = page!;
      chain = chain.then(() => (closing ? undefined : pg.evaluate((list) => list.forEach((m) => window.postMessage(m, '*')), ms))).catch((e: Error) => problems.push(`deliver: ${e.message}`));
    };
    p.webview.postMessage = async (m: unknown) => {
      const copy = JSON.parse(JSON.stringify(m)) as { type: string; events?: { kind: string }[] };
      if (Number.isNaN(times.firstPost)) times.firstPost = epoch();
      if (Number.isNaN(times.loadedEvent) && copy.type === 'runEvents' && copy.events?.some((e) => e.kind === 'loaded')) times.loadedEvent = epoch();
      if (ready) deliver([copy]);
      else queue.push(copy);
      return true;
    };
    opening = (async () => {
      page = await browser.newPage();
      times.pageCreated = epoch();
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      await page.exposeFunction('__toHost', (m: unknown) => p.webview.send(m));
      await page.addInitScript(PAGE_MARKS);
      await page.goto(`${url}/?theme=dark`);
      times.pageLoaded = epoch();
      ready = true;
      deliver(queue.splice(0));
    })();
    return p;
  };
  const t0 = epoch();
  let command: Promise<unknown> | undefined;
  try {
    command = fake.commands.executeCommand(COMMANDS.simulate, fake.Uri.file(EXAMPLE));
    const deadline = Date.now() + 120_000;
    let marks: PageMarks | undefined;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`no mesh painted within 120 s (${problems.join('; ')})`);
      await new Promise((r) => setTimeout(r, 20));
      if (!page || !opening) continue;
      await opening;
      marks = await page.evaluate(() => (window as unknown as { __marks: PageMarks }).__marks);
      if (marks.mesh !== null && marks.mesh > 0) break;
    }
    const rel = (x: number | null) => (x === null || x < 0 ? NaN : x - t0);
    return {
      panel: times.panel - t0,
      pageCreated: times.pageCreated - t0,
      firstPost: times.firstPost - t0,
      loadedEvent: times.loadedEvent - t0,
      pageLoaded: times.pageLoaded - t0,
      marks: { nav: rel(marks.nav), message: rel(marks.message), overview: rel(marks.overview), mesh: rel(marks.mesh), verdict: rel(marks.verdict), fcp: rel(marks.fcp) },
      problems,
    };
  } finally {
    await fake.commands.executeCommand(COMMANDS.stop);
    await command?.catch(() => undefined);
    await chain;
    closing = true;
    fake.window.createWebviewPanel = createPanel;
    for (const d of context.subscriptions) d.dispose();
    await page?.close();
    rmSync(storage, { recursive: true, force: true });
  }
}

declare const window: { postMessage(m: unknown, origin: string): void };

export const firstPaintBench: Bench = {
  id: 'extension.first-paint',
  async run(): Promise<BenchResult> {
    if (!existsSync(CHROMIUM)) return { id: this.id, pass: true, summary: `SKIPPED — Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)` };
    if (!existsSync(EXTENSION) || !existsSync(path.join(root, 'media/webview.js'))) return { id: this.id, pass: false, summary: 'dist/extension.js or media/webview.js is missing: npm run build' };
    const loadBefore = load();
    // `vscode` is the fake while the extension is loaded and runs
    const M = Module as unknown as Loader;
    const original = M._load;
    M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
      return request === 'vscode' ? fake : original.call(this, request, parent, isMain);
    };
    const { chromium } = projectRequire('playwright-core') as typeof import('playwright-core');
    const server = await servePage();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const browserContext = await browser.newContext({ viewport: { width: 1100, height: 760 } });
      const ext = projectRequire(EXTENSION) as { activate(ctx: unknown): unknown };
      const runs: PaintRun[] = [];
      for (let i = 0; i < 3; i++) runs.push(await simulateOnce(browserContext, server.url, ext));
      const overview = median(runs.map((r) => r.marks.overview ?? NaN));
      const mesh = median(runs.map((r) => r.marks.mesh ?? NaN));
      const withoutPage = median(runs.map((r) => (r.marks.overview ?? NaN) - ((r.marks.nav ?? NaN) - r.panel)));
      const problems = [...new Set(runs.flatMap((r) => r.problems))];
      const row = (r: PaintRun) =>
        `panel created ${ms(r.panel)}, first post ${ms(r.firstPost)}, page created ${ms(r.pageCreated)}, navigation start ${ms(r.marks.nav)}, shell painted ${ms(r.marks.fcp)}, page loaded ${ms(r.pageLoaded)}, first message in the page ${ms(r.marks.message)}, overview painted ${ms(r.marks.overview)}; worker loaded the script ${ms(r.loadedEvent)}, mesh painted ${ms(r.marks.mesh)}`;
      return {
        id: this.id,
        pass: Number.isFinite(overview) && overview <= 1000 && problems.length === 0,
        summary: `first paint of the panel with the run ${ms(overview)} after "AutoDist: Simulate" (target ≤ 1 s); the rank grid (worker booted, script loaded) ${ms(mesh)}; ${ms(withoutPage)} without Chromium's page creation — median of 3`,
        details: [
          ...runs.map((r, i) => `run ${i + 1}: ${row(r)}`),
          'from executeCommand(autodist.simulate) in this process (real dist/extension.js, fake vscode, real worker) to headless Chromium painting media/webview.js; overview = the run\'s banner, title and facts; times are the first animation frame after the DOM holds them',
          ...problems.map((p) => `page problem: ${p}`),
          `load average before: ${loadBefore}, after: ${load()} (2 cores)`,
        ],
      };
    } finally {
      M._load = original;
      await browser.close();
      await server.close();
    }
  },
};

export const EXTENSION_BENCHES: readonly Bench[] = [activationBench, firstPaintBench];
