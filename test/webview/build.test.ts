import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

const root = path.resolve(__dirname, '../..');
const webview = path.join(root, 'webview');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the webview code', () => {
  test('type-checks as browser code against src/protocol.ts (a protocol change breaks this build too)', { timeout: 120_000 }, () => {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(webview, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('the component library is used through webview/toolkit.ts only', () => {
    for (const f of files(webview)) {
      if (path.basename(f) === 'toolkit.ts') continue;
      const src = readFileSync(f, 'utf8');
      assert.doesNotMatch(src, /@vscode\/webview-ui-toolkit/, `${path.relative(root, f)} imports the toolkit`);
      assert.doesNotMatch(src, /['"`]vscode-(button|panels|panel-tab|panel-view|text-field|text-area|badge|divider|progress-ring|dropdown|option|checkbox|data-grid[a-z-]*|link|tag|radio[a-z-]*)['"`]/, `${path.relative(root, f)} names a toolkit element`);
    }
  });

  test('no innerHTML, no eval, no inline handlers in markup: the DOM is built node by node', () => {
    for (const f of files(webview)) {
      const src = readFileSync(f, 'utf8');
      assert.doesNotMatch(src, /\.innerHTML\s*=|outerHTML\s*=|insertAdjacentHTML|\beval\(|new Function\(/, path.relative(root, f));
      assert.doesNotMatch(src, /setAttribute\(\s*['"]style['"]/, `${path.relative(root, f)}: the CSP refuses style attributes`);
    }
  });
});
