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
require(cli);
