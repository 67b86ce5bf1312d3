// `node-gyp` while code-server installs (scripts/e2e/install.sh puts a `node-gyp` that runs this
// in .cache/e2e/cs/node_modules/.bin/, which npm puts on the PATH of every install script under
// that folder, ahead of its own): npm's node-gyp, except for the native modules code-server
// loads only for features the e2e suite never uses — each by `import()` where its feature
// starts. Skipping @vscode/sqlite3 saves ~2–3 of the install's ~3–6 minutes on 2 cores (it
// compiles SQLite). Should npm ever stop running this, everything is built: slower, still right.
'use strict';
const path = require('node:path');

const SKIP = {
  '@vscode/sqlite3': "the agent host's database (chat agents; the suite's settings turn AI features off)",
  kerberos: 'Kerberos authentication to an HTTP proxy',
};
const name = process.env.npm_package_name;
if (name && Object.hasOwn(SKIP, name)) {
  console.log(`node-gyp: ${name} not built for the e2e suite: code-server loads it only for ${SKIP[name]}`);
  process.exit(0);
}
// npm tells its scripts where its own node-gyp is
const real = process.env.npm_config_node_gyp;
if (!real || path.resolve(real) === __filename) {
  console.error(`node-gyp: npm's own node-gyp is unknown (npm_config_node_gyp=${real ?? ''})`);
  process.exit(1);
}
require(real);
