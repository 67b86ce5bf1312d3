/**
 * The e2e installer under `npm run` (as `npm run test:e2e` runs it): none of the outer npm's
 * variables reach the installer's own npm. Runs the installer's environment step
 * (scripts/e2e/clean-env.sh, which install.sh sources first) inside a real `npm run` of a
 * throwaway package, and reads the environment it leaves; code-server itself is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

test('under npm run, the installer drops npm_config_user_agent, NODE and every inherited npm_* variable', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'autodist-e2e-env-'));
  const clean = path.join(ROOT, 'scripts', 'e2e', 'clean-env.sh');
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'e2e-env-probe',
      version: '1.0.0',
      scripts: {
        before: 'env > before.txt',
        after: `bash -c '. "${clean}"; clean_npm_env; env > after.txt'`,
      },
    }),
  );
  const npm = (script: string) => spawnSync('npm', ['run', '--silent', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false' } });
  for (const s of ['before', 'after']) assert.equal(npm(s).status, 0, `npm run ${s}`);
  const vars = (f: string) => readFileSync(path.join(dir, f), 'utf8').split('\n').map((l) => l.split('=')[0]).filter(Boolean);
  const before = vars('before.txt');
  const after = vars('after.txt');
  // what npm run really passes down (so the test checks something)
  assert.ok(before.includes('npm_config_user_agent'), 'npm run exports npm_config_user_agent');
  assert.ok(before.some((v) => v.startsWith('npm_package_')), 'and npm_package_* fields');
  const left = after.filter((v) => /^(npm_|NPM_)/.test(v) || v === 'NODE' || v === 'INIT_CWD');
  assert.deepEqual(left, []);
  assert.ok(after.includes('PATH') && after.includes('HOME'), 'the rest of the environment stays');
});

test('install.sh sources the clean-up before it sets its own npm settings', () => {
  const text = readFileSync(path.join(ROOT, 'scripts', 'e2e', 'install.sh'), 'utf8');
  const cleaned = text.indexOf('clean_npm_env');
  const own = text.indexOf('export npm_config_cache');
  assert.ok(cleaned > 0 && own > cleaned, 'clean_npm_env runs before install.sh exports its npm_config_*');
});
