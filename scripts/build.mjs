// Bundles AutoDist with esbuild into dist/: the CLI, the simulation worker, the VS Code
// extension, the webview, and the benchmarks; copies the tfjs WASM binaries next to them.
import { build } from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const nodeEntries = {
  cli: 'src/cli/main.ts',
  worker: 'src/runner/worker.ts',
  autodist: 'src/index.ts',
  extension: 'src/extension/extension.ts',
  'plan-command': 'src/extension/plan-command.ts',
  'plan-search-worker': 'src/runner/plan-search-worker.ts',
  bench: 'bench/main.ts',
};
const entryPoints = Object.fromEntries(Object.entries(nodeEntries).filter(([, f]) => existsSync(join(root, f))));

const common = { bundle: true, sourcemap: false, logLevel: 'warning', legalComments: 'none' };
await build({
  ...common,
  absWorkingDir: root,
  entryPoints,
  outdir: dist,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  external: ['vscode'],
  // tfjs-core's node platform can fetch model files over HTTP (node-fetch, and its optional
  // 'encoding'); AutoDist never loads anything over the network, so neither is bundled
  alias: { 'node-fetch': './scripts/empty-module.js', encoding: './scripts/empty-module.js' },
  define: { 'process.env.AUTODIST_BUNDLED': '"1"' },
});
if (existsSync(join(root, 'webview/main.ts'))) {
  await build({
    ...common,
    absWorkingDir: root,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: join(root, 'media'),
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true, // the panel's first paint waits for this file
  });
  // chart.js, loaded by the Traffic tab when it first draws (webview/chart-loader.ts)
  await build({
    ...common,
    absWorkingDir: root,
    entryPoints: { charts: 'webview/charts.ts' },
    outdir: join(root, 'media'),
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    globalName: 'AutoDistCharts',
    minify: true,
  });
}
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(dist, f));
// tfjs's multi-threaded WASM build, which AutoDist starts itself in Node (src/runner/wasm-threads.ts):
// the Emscripten module as a file the pthreads can load, and their worker script, which tfjs
// ships as a string (its template literal turns the script's "\n" escapes into newlines: undone)
const wasmOut = join(dirname(wasmDir), 'wasm-out');
copyFileSync(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js'), join(dist, 'tfjs-backend-wasm-threaded-simd.js'));
const { wasmWorkerContents } = require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js'));
writeFileSync(join(dist, 'tfjs-backend-wasm-threaded-simd.worker.js'), wasmWorkerContents.replace(/\n/g, '\\n'));
// CPython in WebAssembly (the pyodide package's runtime files) and AutoDist's Python package
// (torch over the core), which the worker mounts read-only: src/runner/python/interpreter.ts
const pyodideSrc = dirname(require.resolve('pyodide/pyodide.asm.wasm'));
mkdirSync(join(dist, 'pyodide'), { recursive: true });
for (const f of ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json', 'package.json']) {
  copyFileSync(join(pyodideSrc, f), join(dist, 'pyodide', f));
}
rmSync(join(dist, 'python'), { recursive: true, force: true });
cpSync(join(root, 'src', 'python'), join(dist, 'python'), { recursive: true, filter: (s) => !s.includes('__pycache__') });
// Type stubs (.pyi) beside those files, for Pylance ("AutoDist: Use Simulated torch for Python
// Analysis" points python.analysis.extraPaths at dist/python): made by scripts/python-stubs.py,
// run here in Pyodide so the build needs no Python of its own
await writePythonStubs(join(dist, 'python'));
// The "autodist" module's type declarations, shipped for `autodist init` and the extension.
if (!process.argv.includes('--no-types')) {
  const emit = `import('./src/cli/types-emit.ts').then((m) => require('node:fs').writeFileSync('dist/autodist.d.ts', (m.emitDeclarations ?? m.default.emitDeclarations)(require('node:path').resolve('src/index.ts'))))`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', emit], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('emitting dist/autodist.d.ts failed');
}
console.log(`built ${Object.keys(entryPoints).join(', ')} → dist/`);

async function writePythonStubs(pkg) {
  const { pathToFileURL } = await import('node:url');
  const { loadPyodide } = await import(pathToFileURL(join(pyodideSrc, 'pyodide.mjs')).href);
  const py = await loadPyodide({ indexURL: pyodideSrc + '/', stdout: () => {}, stderr: (s) => console.error(s) });
  py.FS.mkdirTree('/pkg');
  py.FS.mount(py.FS.filesystems.NODEFS, { root: pkg }, '/pkg');
  py.FS.mkdirTree('/scripts');
  py.FS.mount(py.FS.filesystems.NODEFS, { root: join(root, 'scripts') }, '/scripts');
  py.runPython("import runpy\nrunpy.run_path('/scripts/python-stubs.py')['write_stubs']('/pkg')");
}
