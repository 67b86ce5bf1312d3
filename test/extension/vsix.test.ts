import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readdirSync } from 'node:fs';
import type { AutoDistApi } from '../../src/extension/extension.js';
import { COMMANDS } from '../../src/extension/ids.js';
import { EXAMPLE, lineOf } from './helpers/reports.js';
import { pythonAvailable } from '../../src/runner/python/interpreter.js';
import * as vscode from './helpers/vscode-fake.js';
import { unzipTo, zipEntries } from './helpers/zip.js';

const root = path.resolve(__dirname, '../..');
const MB = 1024 * 1024;

let vsix = '';

describe('the VSIX (npm run package)', () => {
  test('small, self-contained, no sources, maps or tests', { timeout: 300_000 }, () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'autodist-vsix-')), 'autodist.vsix');
    vsix = out;
    const r = spawnSync('npm', ['run', 'package', '--', '-o', out], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    assert.equal(r.status, 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
    const size = statSync(out).size;
    assert.ok(size <= 10 * MB, `the VSIX is ${(size / MB).toFixed(2)} MB`);

    const names = zipEntries(out).map((e) => e.name);
    const files = names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
    // what the installed extension runs
    for (const f of ['package.json', 'dist/extension.js', 'dist/worker.js', 'dist/tfjs-backend-wasm.wasm', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/tfjs-backend-wasm-threaded-simd.wasm', 'dist/tfjs-backend-wasm-threaded-simd.js', 'dist/tfjs-backend-wasm-threaded-simd.worker.js', 'dist/autodist.d.ts', 'media/webview.js', 'media/charts.js', 'media/webview.css', 'media/icon.png', 'examples/ffn_tp4.ts', 'dist/pyodide/pyodide.asm.wasm', 'dist/pyodide/pyodide.mjs', 'dist/pyodide/python_stdlib.zip', 'dist/python/autodist_runtime.py', 'dist/python/torch/__init__.py', 'dist/python/torch/__init__.pyi', 'dist/python/torch/distributed/__init__.pyi', 'examples/python/ffn_tp4.py']) {
      assert.ok(files.includes(f), `${f} is in the VSIX`);
    }
    // and nothing else of the repository: the only .ts files are the declarations "New Simulation
    // Script" writes and the example it copies
    const ts = files.filter((f) => /\.[cm]?tsx?$/.test(f));
    assert.deepEqual(ts.sort(), ['dist/autodist.d.ts', 'examples/ffn_tp4.ts']);
    assert.deepEqual(files.filter((f) => /\.map$/.test(f)), []);
    assert.deepEqual(files.filter((f) => /(^|\/)(test|tests|__tests__|fixtures)\//.test(f) || /\.test\./.test(f)), []);
    assert.deepEqual(files.filter((f) => /^(src|webview|node_modules|scripts|bench|\.ci|\.cache|docs)\//.test(f)), []);
    assert.deepEqual(files.filter((f) => /\.vsix$|\.cpuprofile$/.test(f)), []);

    // everything is bundled: the extension needs only node's own modules and vscode at run time,
    // and none of node's network modules
    const bundle = readFileSync(path.join(root, 'dist/extension.js'), 'utf8');
    const required = [...new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))];
    const builtin = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    assert.deepEqual(required.filter((m) => m !== 'vscode' && !builtin.has(m)), [], 'external modules');
    assert.deepEqual(required.filter((m) => /^(node:)?(http|https|http2|net|tls|dns|dgram)$/.test(m)), [], 'network modules');
  });

  test('installed from the VSIX alone, it simulates a script and a PyTorch file in its bundled worker and scaffolds a new one', { timeout: 120_000 }, async (t) => {
    if (!vsix) return t.skip('the VSIX was not built');
    const installed = mkdtempSync(path.join(tmpdir(), 'autodist-installed-'));
    unzipTo(vsix, installed);
    const ext = path.join(installed, 'extension');
    vscode.reset();
    const { activate } = require(path.join(ext, 'dist/extension.js')) as { activate(c: unknown): AutoDistApi };
    const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: vscode.Uri.file(ext), globalStorageUri: vscode.Uri.file(path.join(installed, 'storage')) };
    const api = activate(context);
    vscode.state.config = { 'autodist.backend': 'cpu' };
    await vscode.commands.executeCommand(COMMANDS.simulateMeta, vscode.Uri.file(EXAMPLE));
    const last = api.last;
    assert.ok(last, vscode.state.messages.map((m) => m.text).join('\n'));
    assert.equal(last.report.exitCode, 0, JSON.stringify(last.report.errors));
    assert.deepEqual(last.report.collectives.map((c) => [c.phase, c.bytes, c.source?.line]), [
      ['forward', 4_194_304, lineOf(EXAMPLE, 'new RowParallelLinear(')],
      ['backward', 4_194_304, lineOf(EXAMPLE, 'new ColumnParallelLinear(')],
    ]);
    const page = vscode.state.panels[0].webview;
    assert.match(page.html, new RegExp(`${ext}/media/webview\\.js`));
    assert.deepEqual(page.posted.map((m) => (m as { type: string }).type).filter((x, i, a) => a.indexOf(x) === i), ['runStarted', 'runEvents', 'runFinished']);

    // a PyTorch file, on the installed CPython-in-WebAssembly and torch (the file says 4 processes)
    if (pythonAvailable()) {
      const py = path.join(root, 'examples/python/ffn_tp4.py');
      await vscode.commands.executeCommand(COMMANDS.simulateMeta, vscode.Uri.file(py));
      const pyRun = api.last;
      assert.equal(pyRun?.run.script, py, vscode.state.messages.map((m) => m.text).join('\n'));
      assert.deepEqual(pyRun.report.errors, []);
      assert.deepEqual(pyRun.report.collectives.map((c) => [c.phase, c.bytes]), [['forward', 4096], ['backward', 4096]]);
    }

    // "New Simulation Script" from the installed files: the example and the shipped declarations
    const folder = mkdtempSync(path.join(tmpdir(), 'autodist-new-'));
    vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file(folder) }];
    vscode.state.answers.push(0); // the TypeScript example
    await vscode.commands.executeCommand(COMMANDS.newScript);
    vscode.workspace.workspaceFolders = undefined;
    assert.deepEqual(readdirSync(folder).sort(), ['autodist.d.ts', 'ffn_tp4.ts', 'tsconfig.json']);
    assert.equal(readFileSync(path.join(folder, 'autodist.d.ts'), 'utf8'), readFileSync(path.join(ext, 'dist/autodist.d.ts'), 'utf8'));
    for (const d of context.subscriptions) d.dispose();
  });
});