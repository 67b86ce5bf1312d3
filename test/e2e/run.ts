/**
 * AutoDist's end-to-end suite in a real VS Code (`npm run test:e2e`): installs its tools once
 * (Node 24, code-server, Chromium — cached in .cache/e2e/), builds the .vsix with
 * `npm run package`, installs it into a fresh, isolated code-server, opens a workspace holding
 * the shipped examples, and checks what a person sees after running AutoDist's commands from the
 * Command Palette — then runs mocha inside the extension host for what the DOM cannot show.
 * Screenshots of each step go to test-results/e2e/; the closing line is "N passed, N failed".
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { ConsoleMessage, Page } from 'playwright-core';
import { INIT_TSCONFIG } from '../../src/cli/init.js';
import { startChromium, type Chrome } from './lib/browser.js';
import { EXTENSIONS, installVsix, prepareServerDirs, startServer, type Server } from './lib/code-server.js';
import { FAILURES, HOST_TESTS, HOST_WORKSPACE, isolatedEnv, LOGS, ROOT, SHOTS, VSIX, WORKSPACE } from './lib/env.js';
import { Harness, within } from './lib/harness.js';
import { Group, installExitHandlers, stopAll } from './lib/processes.js';
import { until, Workbench } from './lib/workbench.js';
import { logsCheck, panelConsoleCheck, typesCheck } from './ui/after-runs.js';
import { biasScenario } from './ui/bias.js';
import type { UiContext } from './ui/common.js';
import { compareScenario } from './ui/compare.js';
import { deadlockScenario } from './ui/deadlock.js';
import { ffnScenario } from './ui/ffn.js';
import { gpt2Scenario } from './ui/gpt2.js';
import { pythonBiasScenario, pythonDtensorScenario, pythonFfnScenario } from './ui/python.js';

const MIN = 60_000;
/** code-server's logs (extension hosts, the AutoDist output channel). */
const LOGS_DIR = path.join(path.dirname(EXTENSIONS), 'user', 'logs');
const h = new Harness();
let server: Server | undefined;
let chrome: Chrome | undefined;
let page: Page | undefined;
let failures = 0;

/** Run a command to completion in its own process group, time-bounded, output to a log file. */
async function sh(name: string, cmd: string, args: string[], ms: number, env: NodeJS.ProcessEnv = isolatedEnv()): Promise<string> {
  const g = Group.start(name, cmd, args, { env, cwd: ROOT, logFile: path.join(LOGS, `${name.replace(/\W+/g, '-')}.log`) });
  const code = await Promise.race([g.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
  if (code === 'timeout') {
    await g.stop();
    throw new Error(`${name} did not finish within ${ms / 1000} s; its output ends:\n${g.tail(40)}`);
  }
  if (code !== 0) throw new Error(`${name} failed (exit ${code}); its output ends:\n${g.tail(40)}`);
  return g.output;
}

/** The evidence of a failed check: a screenshot, the server's and the page's last words. */
h.onFailure = async (name) => {
  const parts: string[] = [];
  mkdirSync(FAILURES, { recursive: true });
  if (page && !page.isClosed()) {
    const file = path.join(FAILURES, `${String(++failures).padStart(2, '0')}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 80)}.png`);
    await page.screenshot({ path: file, timeout: 10_000 }).then(
      () => parts.push(`screenshot: ${path.relative(ROOT, file)}`),
      (e: Error) => parts.push(`(no screenshot: ${e.message.split('\n')[0]})`),
    );
  }
  if (server) parts.push(`code-server log (last 15 lines):\n${server.group.tail(15)}`);
  if (consoleLines.length) parts.push(`browser console (last 8 errors):\n${consoleLines.slice(-8).join('\n')}`);
  return parts.join('\n');
};

const consoleLines: string[] = [];
const panelErrors: string[] = [];

function watchConsole(p: Page): void {
  p.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return;
    const url = m.location().url ?? '';
    const line = `${m.text().slice(0, 400)} (${url})`;
    consoleLines.push(line);
    // the panel's page: served from the webview's resource origin, or our own media/ files
    if (/webview|vscode-resource|vscode-cdn|autodist/i.test(url) || /Content.Security.Policy/i.test(m.text())) panelErrors.push(line);
  });
  p.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
}

async function shot(name: string, what: 'page' | 'panel' | 'editor' | 'problems' = 'page'): Promise<string> {
  const file = path.join(SHOTS, `${name}.png`);
  if (!page) throw new Error('no page to screenshot');
  const wb = new Workbench(page);
  if (what === 'panel') await wb.panelElement().screenshot({ path: file, timeout: 10_000 });
  else if (what === 'editor') await page.locator('.editor-group-container.active').first().screenshot({ path: file, timeout: 10_000 });
  else await page.screenshot({ path: file, timeout: 10_000 });
  return file;
}

/** The workspace a person would have: the shipped examples, the suite's scripts, the "autodist" types. */
function prepareWorkspace(): void {
  rmSync(WORKSPACE, { recursive: true, force: true });
  mkdirSync(WORKSPACE, { recursive: true });
  cpSync(path.join(ROOT, 'examples'), path.join(WORKSPACE, 'examples'), { recursive: true });
  cpSync(path.join(ROOT, 'test/e2e/workspace'), path.join(WORKSPACE, 'e2e'), { recursive: true });
  // the declarations the installed extension ships (what "New Simulation Script" writes)
  const ext = readdirSync(EXTENSIONS).find((d) => d.startsWith('autodist.autodist-'));
  const dts = ext ? path.join(EXTENSIONS, ext, 'dist/autodist.d.ts') : '';
  if (!dts || !existsSync(dts)) throw new Error(`the installed extension has no dist/autodist.d.ts (in ${EXTENSIONS})`);
  copyFileSync(dts, path.join(WORKSPACE, 'autodist.d.ts'));
  writeFileSync(path.join(WORKSPACE, 'tsconfig.json'), `${JSON.stringify(INIT_TSCONFIG, null, 2)}\n`);
  if (!existsSync(path.join(WORKSPACE, 'examples/ffn_tp4.ts'))) throw new Error('examples/ffn_tp4.ts (the seed-003 FFN at TP=4) is missing from examples/');
  rmSync(HOST_WORKSPACE, { recursive: true, force: true });
  cpSync(WORKSPACE, HOST_WORKSPACE, { recursive: true });
}

async function buildHostTests(): Promise<string> {
  const out = path.join(HOST_TESTS, 'index.js');
  await build({
    entryPoints: [path.join(ROOT, 'test/e2e/host/index.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
    sourcemap: 'inline',
  });
  // `require("mocha")` from the bundle's folder resolves to the project's node_modules
  return out;
}

/** Mocha inside the extension host (the payload of E2E.md), its results recorded one by one. */
async function hostTests(index: string): Promise<void> {
  if (!chrome || !server) throw new Error('no browser or server');
  const p = await chrome.context.newPage();
  watchConsole(p);
  page = p;
  const out: string[] = [];
  let exitCode: number | undefined;
  await p.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
    const text = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    out.push(text);
  });
  await p.exposeFunction('codeAutomationExit', (code: number) => {
    exitCode = code;
  });
  const remote = (f: string) => `vscode-remote://127.0.0.1:${server!.port}${f}`;
  const ext = readdirSync(EXTENSIONS).find((d) => d.startsWith('autodist.autodist-'));
  if (!ext) throw new Error(`the VSIX is not installed in ${EXTENSIONS}`);
  const payload = [
    ['extensionDevelopmentPath', remote(path.join(EXTENSIONS, ext))],
    ['extensionTestsPath', remote(index)],
    ['enableProposedApi', ''],
    ['skipWelcome', 'true'],
  ];
  await p.goto(`${server.url}?folder=${encodeURIComponent(HOST_WORKSPACE)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  try {
    await until(6 * MIN, 'the extension-host tests report their exit code', async () => (exitCode !== undefined ? true : undefined), 500);
  } finally {
    writeFileSync(path.join(LOGS, 'host-tests.log'), out.join('\n'));
  }
  const results = out.flatMap((l) => l.split('\n')).filter((l) => l.includes('E2E-HOST-RESULT '));
  for (const l of results) {
    const r = JSON.parse(l.slice(l.indexOf('E2E-HOST-RESULT ') + 'E2E-HOST-RESULT '.length)) as { name: string; ok: boolean; ms: number; error?: string };
    h.record({ name: `extension host: ${r.name}`, ok: r.ok, ms: r.ms, error: r.error });
  }
  for (const l of out.flatMap((x) => x.split('\n')).filter((x) => /^\s{4}(run|stopped|extension host settled) /.test(x))) h.log(`host:${l}`);
  if (!results.length) throw new Error(`the extension-host tests reported no result (exit code ${exitCode}); their output:\n${out.slice(-30).join('\n')}`);
  if (exitCode !== 0 && results.every((r) => r.includes('"ok":true'))) throw new Error(`mocha exited with ${exitCode} though every test passed:\n${out.slice(-20).join('\n')}`);
}

async function main(): Promise<void> {
  installExitHandlers((sig) => {
    h.record({ name: 'the suite runs to its end', ok: false, ms: 0, error: `interrupted by ${sig}` });
    return h.finish();
  });
  mkdirSync(LOGS, { recursive: true }); // scripts/e2e/run.sh starts with an empty test-results/e2e/
  let blocked: string | null = null;
  const setup = async (name: string, ms: number, fn: () => Promise<unknown>) => {
    const ok = await h.check(name, ms, async () => void (await h.step(name, ms, fn)), blocked);
    if (!ok) blocked ??= `"${name}" failed`;
  };

  await setup('the tools are installed (Node 24, code-server 4.139.1, Chromium; cached in .cache/e2e)', 20 * MIN, async () => {
    const o = await sh('install', 'bash', [path.join(ROOT, 'scripts/e2e/install.sh')], 20 * MIN, process.env);
    for (const l of o.split('\n').filter((x) => x.startsWith('install: '))) h.log(l);
  });
  await setup('`npm run package` builds the .vsix', 6 * MIN, () => sh('npm run package', 'npm', ['run', 'package', '--', '-o', VSIX], 6 * MIN));
  await setup('code-server installs the .vsix (--install-extension)', 2 * MIN, async () => {
    prepareServerDirs();
    await installVsix(VSIX, 2 * MIN);
  });
  await setup('the workspace holds the shipped examples, the suite\'s scripts and the extension\'s type declarations', MIN, async () => prepareWorkspace());
  let hostIndex = '';
  await setup('the extension-host tests compile (esbuild)', MIN, async () => (hostIndex = await buildHostTests()));
  await setup('code-server starts, isolated, on a free port', 2 * MIN, async () => {
    server = await startServer(WORKSPACE, 2 * MIN, { AUTODIST_E2E_LOGS_DIR: LOGS_DIR, ...(process.env.E2E_PROFILE ? { E2E_PROFILE_DIR: LOGS } : {}) });
    h.log(`code-server on ${server.url} (pid ${server.group.pid})`);
  });
  await setup('headless Chromium starts and connects', MIN, async () => {
    chrome = await startChromium(MIN);
    h.log(`chromium pid ${chrome.group.pid}`);
  });
  // E2E_ONLY=ui or E2E_ONLY=host runs one half (for working on the suite; CI runs both).
  // The extension-host tests go first, in the only window, so that the timer-drift measurement
  // shares the 2 cores with as little as possible (no UI window, no TypeScript server).
  const only = process.env.E2E_ONLY ?? '';
  if (only !== 'ui') {
    await h.check('the extension-host tests (mocha in code-server) run and report', 8 * MIN, async () => {
      await h.step('extension-host tests', 8 * MIN, async () => {
        await hostTests(hostIndex);
        if (page && !page.isClosed()) await within(20_000, 'closing the extension-host tests\' window', page.close());
      });
    }, blocked);
  }
  if (only === 'host') return;
  let wb: Workbench | undefined;
  await setup('the workbench opens the workspace with its files in the explorer', 3 * MIN, async () => {
    page = await chrome!.context.newPage();
    watchConsole(page);
    await page.goto(`${server!.url}?folder=${encodeURIComponent(WORKSPACE)}`, { timeout: MIN });
    wb = new Workbench(page);
    await wb.ready(2 * MIN);
    await shot('00-workbench');
  });

  const c: UiContext = { h, wb: wb ?? new Workbench(page!), workspace: WORKSPACE, shot, panelConsoleErrors: () => [...panelErrors] };
  await uiScenarios(c, blocked);
}

/**
 * E2E_SCENARIOS=word[,word…] runs only the UI scenarios whose step name contains one of the words
 * (case-insensitive; e.g. E2E_SCENARIOS=dtensor), and skips the checks after the runs (for
 * working on one scenario; CI runs them all).
 */
const SCENARIOS = (process.env.E2E_SCENARIOS ?? '').toLowerCase().split(',').map((w) => w.trim()).filter(Boolean);
const wanted = (name: string): boolean => !SCENARIOS.length || SCENARIOS.some((w) => name.toLowerCase().includes(w));

async function uiScenarios(c: UiContext, blocked: string | null): Promise<void> {
  const scenario = async (name: string, ms: number, fn: () => Promise<void>, late: string) => {
    if (!wanted(name)) return h.log(`skipped (E2E_SCENARIOS): ${name}`);
    await h.step(name, ms, fn).catch((e: Error) => h.record({ name: late, ok: false, ms: 0, error: e.message }));
  };
  await scenario('UI: seed-003 FFN', 8 * MIN, () => ffnScenario(c, blocked), 'the FFN checks finish in time');
  await scenario('UI: bias before the all-reduce', 6 * MIN, () => biasScenario(c, blocked), 'the bias-bug checks finish in time');
  await scenario('UI: Compare tab with two runs', 2 * MIN, () => compareScenario(c, blocked), 'the Compare checks finish in time');
  await scenario('UI: pipeline deadlock', 6 * MIN, () => deadlockScenario(c, blocked), 'the deadlock checks finish in time');
  await scenario('UI: GPT-2 PP=2 × TP=2', 8 * MIN, () => gpt2Scenario(c, blocked), 'the GPT-2 checks finish in time');
  await scenario('UI: seed-003 FFN in PyTorch', 6 * MIN, () => pythonFfnScenario(c, blocked), 'the Python FFN checks finish in time');
  await scenario('UI: bias before the all-reduce in PyTorch', 5 * MIN, () => pythonBiasScenario(c, blocked), 'the Python bias checks finish in time');
  await scenario('UI: DTensor placements per rank in PyTorch', 5 * MIN, () => pythonDtensorScenario(c, blocked), 'the DTensor checks finish in time');
  if (SCENARIOS.length) return;
  await panelConsoleCheck(c, blocked);
  await typesCheck(c, blocked);
  await logsCheck(c, LOGS_DIR, blocked);
}

/** The whole suite's bound (.ci/run has 25 minutes for npm ci, npm test and this, install included). */
const SUITE_MS = Number(process.env.E2E_DEADLINE_MIN ?? 19) * MIN;

async function runSuite(): Promise<never> {
  const watchdog = setTimeout(() => {
    h.record({ name: `the suite finishes within ${SUITE_MS / MIN} minutes`, ok: false, ms: SUITE_MS, error: 'stopped by its deadline; the checks still running above did not finish' });
    void stopAll().finally(() => process.exit(h.finish()));
    setTimeout(() => process.exit(1), 35_000).unref();
  }, SUITE_MS);
  watchdog.unref();
  try {
    await main();
  } catch (e) {
    h.record({ name: 'the suite runs to its end', ok: false, ms: 0, error: (e as Error).stack ?? String(e) });
  } finally {
    const t = Date.now();
    await within(30_000, 'stopping Chromium and code-server', (async () => {
      await chrome?.browser.close().catch(() => undefined);
      await stopAll();
    })()).catch((e: Error) => h.log(e.message));
    h.steps.push({ name: 'stop code-server and Chromium', ms: Date.now() - t });
  }
  process.exit(h.finish());
}

void runSuite();
