// Runs every test file under test/ (except the real-VS-Code e2e suite) with Node's test runner,
// TypeScript loaded through tsx. Usage: node scripts/test.mjs [filter substring ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'e2e' || name === 'helpers' || name === 'fixtures') continue;
      walk(p);
    } else if (/\.test\.(ts|mts|js|mjs)$/.test(name)) files.push(p);
  }
}
walk(join(root, 'test'));
const selected = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Python runs need WebAssembly stack switching (JSPI): a V8 flag before Node 24
const jspi = typeof WebAssembly.Suspending === 'function' ? [] : ['--experimental-wasm-stack-switching'];
const r = spawnSync(process.execPath, [...jspi, '--import', 'tsx', '--test', '--test-concurrency=2', ...selected], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
