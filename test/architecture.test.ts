import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|tsx)$/.test(n)) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return out;
}

/** What each layer may import (ARCHITECTURE.md). */
const FORBIDDEN: Record<string, RegExp[]> = {
  'src/core': [/^vscode$/, /^(node:)?(fs|path|child_process|worker_threads|os)$/, /\/(parallel|models|runner|cli|extension|report)\//, /^\.\.\/(parallel|models|runner|cli|extension)/],
  'src/models': [/^vscode$/, /^(node:)?(fs|path|child_process|worker_threads|os)$/, /\/(parallel|runner|cli|extension)\//],
  'src/parallel': [/^vscode$/, /^(node:)?(fs|path|child_process|worker_threads|os)$/, /\/(runner|cli|extension)\//],
  'src/bridge': [/^vscode$/, /^(node:)?(fs|path|child_process|worker_threads|os)$/, /\/(parallel|models|runner|cli|extension|report|planner)\//],
  'src/report': [/^vscode$/, /^(node:)?(fs|path)$/, /\/(core|parallel|models|runner|cli|extension)\//],
  'webview': [/^vscode$/, /^(node:)/, /\/src\/(core|parallel|models|runner|cli|extension)\//],
};

for (const [dir, rules] of Object.entries(FORBIDDEN)) {
  test(`${dir} imports nothing its layer may not`, () => {
    let checked = 0;
    for (const f of files(join(root, dir))) {
      for (const spec of imports(f)) {
        checked++;
        for (const re of rules) assert.ok(!re.test(spec), `${relative(root, f)} imports "${spec}"`);
      }
    }
    if (dir === 'src/core' || dir === 'src/parallel') assert.ok(checked > 0, `no imports found under ${dir}`);
  });
}

test('only src/extension imports vscode', () => {
  for (const f of files(join(root, 'src'))) {
    if (relative(root, f).startsWith('src/extension')) continue;
    assert.ok(!imports(f).includes('vscode'), `${relative(root, f)} imports vscode`);
  }
});

/** AutoDist's torch is a thin layer: one module reaches JavaScript, one package reaches collectives. */
function pyFiles(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...pyFiles(p));
    else if (n.endsWith('.py')) out.push(p);
  }
  return out;
}

test('src/python/torch: only _C.py imports the bridge or js; only torch.distributed issues collectives', () => {
  const dir = join(root, 'src', 'python', 'torch');
  const all = pyFiles(dir);
  assert.ok(all.length > 10);
  for (const f of all) {
    const rel = relative(dir, f);
    const src = readFileSync(f, 'utf8');
    if (rel !== '_C.py') {
      assert.ok(!/^\s*(import|from)\s+(_autodist|js|pyodide)\b/m.test(src), `${rel} reaches JavaScript itself (only _C.py may)`);
      assert.ok(!/_C\.js\.collective|_C\.js\.isend/.test(src) || rel.startsWith('distributed'), `${rel} issues a collective outside torch.distributed`);
      assert.ok(!/_C\.collective\(/.test(src) || rel.startsWith('distributed'), `${rel} issues a collective outside torch.distributed`);
    }
  }
});
