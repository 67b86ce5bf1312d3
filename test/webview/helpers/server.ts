/**
 * Serves the panel's page as the extension builds it (panelHtml: the same CSP, nonce and tags),
 * with the webview bundle built from webview/main.ts, media/webview.css, a theme's --vscode-*
 * variables and a fake acquireVsCodeApi (nonce'd like our own script). Loopback only.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { makeNonce, panelHtml } from '../../../src/extension/panel/html.js';

const root = path.resolve(__dirname, '../../..');
const fixtures = path.join(root, 'test/webview/fixtures');

/** The webview bundle, built the way scripts/build.mjs builds media/webview.js (in memory). */
export async function buildBundle(): Promise<string> {
  const r = await build({ absWorkingDir: root, entryPoints: ['webview/main.ts'], bundle: true, platform: 'browser', target: 'es2022', format: 'iife', write: false, legalComments: 'none', logLevel: 'warning' });
  return r.outputFiles[0].text;
}

/** media/charts.js (chart.js, loaded by the Traffic tab on first draw), built the same way. */
export async function buildChartsBundle(): Promise<string> {
  const r = await build({ absWorkingDir: root, entryPoints: ['webview/charts.ts'], bundle: true, platform: 'browser', target: 'es2022', format: 'iife', globalName: 'AutoDistCharts', write: false, legalComments: 'none', logLevel: 'warning' });
  return r.outputFiles[0].text;
}

export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function servePanel(bundle: string): Promise<PageServer> {
  const files: Record<string, [string, string]> = {
    '/media/webview.js': ['text/javascript', bundle],
    '/media/charts.js': ['text/javascript', await buildChartsBundle()],
    '/media/webview.css': ['text/css', readFileSync(path.join(root, 'media/webview.css'), 'utf8')],
    '/fake-vscode-api.js': ['text/javascript', readFileSync(path.join(fixtures, 'fake-vscode-api.js'), 'utf8')],
    '/theme-dark.css': ['text/css', readFileSync(path.join(fixtures, 'theme-dark.css'), 'utf8')],
    '/theme-light.css': ['text/css', readFileSync(path.join(fixtures, 'theme-light.css'), 'utf8')],
    '/theme-high-contrast.css': ['text/css', readFileSync(path.join(fixtures, 'theme-high-contrast.css'), 'utf8')],
  };
  let origin = '';
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', origin);
    if (u.pathname === '/') {
      const t = u.searchParams.get('theme');
      const theme = t === 'light' || t === 'high-contrast' ? t : 'dark';
      const nonce = makeNonce();
      let html = panelHtml({ cspSource: origin, nonce, scriptUri: `${origin}/media/webview.js`, styleUri: `${origin}/media/webview.css` });
      // VS Code injects the theme's variables before the page's own styles, and its API before our script
      html = html.replace('<link rel="stylesheet"', `<link rel="stylesheet" href="${origin}/theme-${theme}.css">\n<link rel="stylesheet"`);
      html = html.replace(`<script nonce="${nonce}"`, `<script nonce="${nonce}" src="${origin}/fake-vscode-api.js"></script>\n<script nonce="${nonce}"`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    if (u.pathname === '/favicon.ico') {
      res.writeHead(204); // VS Code's webviews ask for none; Chromium does
      res.end();
      return;
    }
    const f = files[u.pathname];
    if (!f) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': f[0] });
    res.end(f[1]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: origin, close: () => new Promise((r) => server.close(() => r())) };
}
