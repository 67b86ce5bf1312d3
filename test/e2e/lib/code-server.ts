/**
 * An isolated code-server (the whole VS Code: server, web workbench, Node extension host) for the
 * e2e suite: its own config, user data, extensions dir and home inside test-results/e2e/, bound
 * to 127.0.0.1 on a free port, no auth, telemetry and update checks off. See /work/shared/E2E.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CODE_SERVER, isolatedEnv, LOGS, node24Path, SERVER_DIR } from './env.js';
import { Group } from './processes.js';

const USER = path.join(SERVER_DIR, 'user');
export const EXTENSIONS = path.join(SERVER_DIR, 'ext');
const CONFIG = path.join(SERVER_DIR, 'config.yaml');

/** A quiet window: no welcome page, tips, telemetry, updates or trust prompt; inlay hints on. */
const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'editor.inlayHints.enabled': 'on',
  // editor.inlayHints.maximumLength stays at its default (43): the suite sees the hints a person sees
  'editor.wordWrap': 'on',
  'editor.hover.delay': 300,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'git.enabled': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'typescript.tsserver.maxTsServerMemory': 1024,
};

function flags(): string[] {
  return ['--config', CONFIG, '--user-data-dir', USER, '--extensions-dir', EXTENSIONS, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override', '--disable-workspace-trust'];
}

const env = (extra: NodeJS.ProcessEnv = {}) => isolatedEnv({ PATH: node24Path(), ...extra });

export function prepareServerDirs(): void {
  mkdirSync(path.join(USER, 'User'), { recursive: true });
  mkdirSync(EXTENSIONS, { recursive: true });
  mkdirSync(LOGS, { recursive: true });
  writeFileSync(CONFIG, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  writeFileSync(path.join(USER, 'User', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
}

/** `code-server --install-extension <vsix>` with the same isolation (a few seconds). */
export async function installVsix(vsix: string, timeoutMs: number): Promise<string> {
  const g = Group.start('code-server --install-extension', CODE_SERVER, [...flags(), '--install-extension', vsix, '--force'], { env: env(), cwd: SERVER_DIR, logFile: path.join(LOGS, 'install-extension.log') });
  const code = await Promise.race([g.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs))]);
  if (code === 'timeout') {
    await g.stop();
    throw new Error(`installing the VSIX did not finish within ${timeoutMs / 1000} s:\n${g.tail()}`);
  }
  if (code !== 0 || !/successfully installed/i.test(g.output)) throw new Error(`code-server could not install ${vsix} (exit ${code}):\n${g.tail()}`);
  return g.output.trim();
}

export interface Server {
  readonly group: Group;
  readonly port: number;
  readonly url: string;
  /** The user-data dir (its logs/ hold the extension host's and the extension's logs). */
  readonly userDir: string;
}

/** Start code-server on a free port (with the smoke-test driver the extension-host tests need). */
export async function startServer(workspace: string, timeoutMs: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<Server> {
  const args = [...flags(), '--bind-addr', '127.0.0.1:0', '--vscode-option', 'enable-smoke-test-driver', workspace];
  const group = Group.start('code-server', CODE_SERVER, args, { env: env(extraEnv), cwd: SERVER_DIR, logFile: path.join(LOGS, 'code-server.log') });
  const m = await group.waitFor(/HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/, timeoutMs, 'the "HTTP server listening" line');
  const port = Number(m[1]);
  return { group, port, url: `http://127.0.0.1:${port}/`, userDir: USER };
}
