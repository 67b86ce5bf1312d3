/**
 * Debian's Chromium, headless, started by the suite itself in its own process group (so it can
 * be stopped by pid on every exit path) with a fresh profile inside test-results/e2e/, and
 * driven by playwright-core over the DevTools protocol. Never `npx playwright install`.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { CHROMIUM, isolatedEnv, LOGS, OUT } from './env.js';
import { Group } from './processes.js';

export interface Chrome {
  readonly group: Group;
  readonly browser: Browser;
  readonly context: BrowserContext;
}

export const VIEWPORT = { width: 1600, height: 1000 };

export async function startChromium(timeoutMs: number): Promise<Chrome> {
  const profile = path.join(OUT, 'chromium-profile');
  mkdirSync(profile, { recursive: true });
  const args = [
    '--headless=new',
    '--remote-debugging-port=0',
    '--remote-debugging-address=127.0.0.1',
    `--user-data-dir=${profile}`,
    `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-features=Translate,MediaRouter,OptimizationHints',
    '--disable-dev-shm-usage',
    '--password-store=basic',
    '--use-mock-keychain',
    '--lang=en-US',
    'about:blank',
  ];
  const group = Group.start('chromium', CHROMIUM, args, { env: isolatedEnv(), cwd: OUT, logFile: path.join(LOGS, 'chromium.log') });
  const m = await group.waitFor(/DevTools listening on (ws:\/\/\S+)/, timeoutMs, 'the "DevTools listening" line');
  const browser = await chromium.connectOverCDP(m[1], { timeout: timeoutMs });
  const context = browser.contexts()[0];
  if (!context) throw new Error('Chromium started without a default browser context');
  return { group, browser, context };
}
