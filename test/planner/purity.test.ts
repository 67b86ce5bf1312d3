import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// src/planner is pure (STYLE.md habit 1): no vscode, no node I/O, no DOM, nothing of the CLI,
// runner or extension — the panel and the CLI both call it.
const dir = join(__dirname, '..', '..', 'src', 'planner');
const FORBIDDEN = [/^vscode$/, /^(node:)?(fs|path|child_process|worker_threads|os|net|http)$/, /\/(cli|runner|extension|report-html\/html)(\/|\.js$)/, /^webview/];

test('src/planner imports nothing impure', () => {
  let checked = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? m[3];
      checked++;
      for (const re of FORBIDDEN) assert.ok(!re.test(spec), `src/planner/${f} imports "${spec}"`);
    }
    assert.ok(!/\b(document|window)\./.test(src), `src/planner/${f} touches the DOM`);
  }
  assert.ok(checked > 10);
});
