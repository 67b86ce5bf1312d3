#!/usr/bin/env node
// The `autodist` command: runs the bundled CLI (build it with `npm run build`).
'use strict';
const path = require('node:path');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
try {
  require.resolve(cli);
} catch {
  process.stderr.write(`autodist: ${cli} is missing — run \`npm run build\` first\n`);
  process.exit(2);
}
// Python files run on WebAssembly stack switching (JSPI). Node ≥ 24 has it; Node 20–23 need V8's
// flag from the start of the process (setting it later crashes V8): start again with it.
const FLAG = '--experimental-wasm-stack-switching';
const python = process.argv.slice(2).some((a) => a.endsWith('.py'));
if (python && typeof WebAssembly.Suspending !== 'function' && !process.execArgv.includes(FLAG)) {
  const { spawnSync } = require('node:child_process');
  const r = spawnSync(process.execPath, [FLAG, ...process.execArgv, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status === null ? 1 : r.status);
}
require(cli);
