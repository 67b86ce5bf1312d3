/**
 * Pylance and AutoDist's torch: the type stubs scripts/python-stubs.py writes (run here in Pyodide,
 * as the build runs it) cover every public function and class of the modules a training script
 * imports; "Use Simulated torch for Python Analysis" changes the workspace's settings only when run,
 * keeps the person's own paths and can be undone; "New Simulation Script" offers the Python examples
 * and the stubs.
 */
import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { COMMANDS } from '../../src/extension/ids.js';
import { stubsFolder, usePythonStubs, withStubs } from '../../src/extension/python-analysis.js';
import { copyPythonExample, newScript, pythonExamples } from '../../src/extension/scaffold.js';
import { tick } from './helpers/fake-runner.js';
import * as vscode from './helpers/vscode-fake.js';

const root = path.resolve(__dirname, '../..');
const MODULES = ['torch/__init__', 'torch/nn/__init__', 'torch/nn/functional', 'torch/distributed/__init__', 'torch/autograd/__init__'];

describe('type stubs of AutoDist\'s torch', () => {
  let pkg = '';
  before(async () => {
    pkg = mkdtempSync(path.join(tmpdir(), 'autodist-stubs-'));
    cpSync(path.join(root, 'src/python'), pkg, { recursive: true, filter: (s) => !s.includes('__pycache__') });
    const dir = path.dirname(require.resolve('pyodide/pyodide.asm.wasm'));
    const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<{ loadPyodide(o: object): Promise<{ FS: { mkdirTree(p: string): void; mount(fs: unknown, o: object, p: string): void; filesystems: { NODEFS: unknown } }; runPython(c: string): unknown }> }>;
    const { loadPyodide } = await importEsm(pathToFileURL(path.join(dir, 'pyodide.mjs')).href);
    const py = await loadPyodide({ indexURL: dir + path.sep, stdout: () => {}, stderr: () => {} });
    for (const [at, real] of [['/pkg', pkg], ['/scripts', path.join(root, 'scripts')]] as const) {
      py.FS.mkdirTree(at);
      py.FS.mount(py.FS.filesystems.NODEFS, { root: real }, at);
    }
    py.runPython("import runpy\nrunpy.run_path('/scripts/python-stubs.py')['write_stubs']('/pkg')");
  });

  test('every public top-level def and class of the modules a script imports is in its stub', () => {
    for (const m of MODULES) {
      const src = readFileSync(path.join(pkg, `${m}.py`), 'utf8');
      const stub = readFileSync(path.join(pkg, `${m}.pyi`), 'utf8');
      const names = [...src.matchAll(/^(?:def|class)\s+([A-Za-z]\w*)/gm)].map((x) => x[1]);
      assert.ok(names.length > 0 || m.endsWith('nn/__init__'), m);
      for (const n of names) assert.match(stub, new RegExp(`^(?:def|class) ${n}\\b`, 'm'), `${m}.pyi declares ${n}`);
      // names made at run time are Any to the checker, never an error
      assert.match(stub, /^def __getattr__\(name: str\) -> Any: \.\.\.$/m, m);
    }
  });

  test('signatures keep torch\'s parameter names; defaults are "..."; re-exports are explicit', () => {
    const dist = readFileSync(path.join(pkg, 'torch/distributed/__init__.pyi'), 'utf8');
    assert.match(dist, /^def all_reduce\(tensor, op=\.\.\., group=\.\.\., async_op=\.\.\.\) -> Any: \.\.\.$/m);
    assert.match(dist, /^def init_process_group\(backend=\.\.\., /m);
    const torch = readFileSync(path.join(pkg, 'torch/__init__.pyi'), 'utf8');
    assert.match(torch, /^from \._tensor import Tensor as Tensor, /m);
    assert.match(torch, /^FloatTensor = Tensor$/m);
    assert.match(readFileSync(path.join(pkg, 'torch/nn/functional.pyi'), 'utf8'), /^def linear\(input, weight, bias=\.\.\.\) -> Any: \.\.\.$/m);
    assert.match(readFileSync(path.join(pkg, 'torch/nn/__init__.pyi'), 'utf8'), /^from \.modules import \*$/m);
    assert.match(readFileSync(path.join(pkg, 'torch/autograd/__init__.pyi'), 'utf8'), /^from \.function import Function as Function, /m);
    const tensor = readFileSync(path.join(pkg, 'torch/_tensor.pyi'), 'utf8');
    assert.match(tensor, /^class Tensor:\n(?:    .*\n)*    @property\n    def shape\(self\) -> Any: \.\.\.$/m);
  });
});

describe('"Use Simulated torch for Python Analysis"', () => {
  test('adds the shipped package to the workspace\'s extraPaths, keeps the person\'s, replaces an older AutoDist\'s', async () => {
    vscode.reset();
    const ext = '/home/me/.vscode/extensions/autodist.autodist-0.2.0';
    assert.equal(stubsFolder(ext), path.join(ext, 'dist', 'python'));
    assert.deepEqual(withStubs(undefined, '/x/dist/python'), ['/x/dist/python']);
    assert.deepEqual(withStubs(['src', '/home/me/.vscode/extensions/autodist.autodist-0.1.0/dist/python', 'lib'], `${ext}/dist/python`), ['src', 'lib', `${ext}/dist/python`]);

    vscode.workspace.workspaceFolders = undefined;
    assert.equal(await usePythonStubs(ext), false);
    assert.deepEqual(vscode.state.configUpdates, []);
    assert.match(vscode.state.messages[0].text, /open a folder first/);

    vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file('/tmp/ws') }];
    vscode.state.config = { 'python.analysis.extraPaths': ['src'] };
    vscode.state.answers.push('Undo'); // the person clicks "Undo" on the notice
    assert.equal(await usePythonStubs(ext), true);
    assert.deepEqual(vscode.state.configUpdates[0], { key: 'python.analysis.extraPaths', value: ['src', path.join(ext, 'dist', 'python')], target: vscode.ConfigurationTarget.Workspace });
    assert.match(vscode.state.messages.at(-1)!.text, /added AutoDist's torch .* to python\.analysis\.extraPaths in this workspace's settings/);
    await tick();
    // Undo puts the person's value back
    assert.deepEqual(vscode.state.configUpdates[1], { key: 'python.analysis.extraPaths', value: ['src'], target: vscode.ConfigurationTarget.Workspace });
    vscode.workspace.workspaceFolders = undefined;
  });
});

describe('"New Simulation Script" in Python', () => {
  test('offers the seed-003 FFN, and DTensor examples only when they exist', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autodist-pyex-'));
    assert.deepEqual(pythonExamples(dir), []);
    writeFileSync(path.join(dir, 'ffn_tp4.py'), '# autodist: --nproc-per-node 4\n');
    assert.deepEqual(pythonExamples(dir).map((e) => e.file), ['ffn_tp4.py']);
    writeFileSync(path.join(dir, 'dtensor_llama_2d.py'), 'import torch\n');
    assert.deepEqual(pythonExamples(dir).map((e) => e.file), ['ffn_tp4.py', 'dtensor_llama_2d.py']);
    const shipped = pythonExamples().map((e) => e.file);
    assert.equal(shipped[0], 'ffn_tp4.py');
    assert.deepEqual(shipped.filter((f) => !f.startsWith('dtensor_')), ['ffn_tp4.py']);
  });

  test('copies the FFN into the folder (never over a file), opens it, and offers the stubs', async () => {
    vscode.reset();
    const dir = mkdtempSync(path.join(tmpdir(), 'autodist-newpy-'));
    vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file(dir) }];
    let offered: string[] = [];
    vscode.state.answers.push((items: { label: string; description?: string }[]) => {
      offered = items.map((i) => i.description ?? '');
      return items.find((i) => i.description === 'ffn_tp4.py');
    });
    vscode.state.commands.set(COMMANDS.usePythonStubs, () => true);
    vscode.state.answers.push('Use Simulated torch for Python Analysis');
    const uri = (await newScript()) as unknown as vscode.Uri;
    await tick();
    vscode.workspace.workspaceFolders = undefined;
    assert.deepEqual(offered.slice(0, 2), ['ffn_tp4.ts', 'ffn_tp4.py']);
    assert.equal(uri.fsPath, path.join(dir, 'ffn_tp4.py'));
    assert.equal(readFileSync(uri.fsPath, 'utf8'), readFileSync(path.join(root, 'examples/python/ffn_tp4.py'), 'utf8'));
    assert.equal(vscode.state.shown[0].uri.fsPath, uri.fsPath);
    assert.match(vscode.state.messages[0].text, /wrote ffn_tp4\.py\. Run "AutoDist: Simulate" on it\. Without torch installed, Pylance flags "import torch"/);
    assert.ok(vscode.state.executed.some((e) => e.id === COMMANDS.usePythonStubs), 'the offer, taken, runs the command');
    // a file of that name is kept
    writeFileSync(uri.fsPath, 'mine');
    assert.deepEqual(copyPythonExample(dir, 'ffn_tp4.py'), { script: uri.fsPath, wrote: false });
    assert.equal(readFileSync(uri.fsPath, 'utf8'), 'mine');
    assert.ok(existsSync(uri.fsPath));
  });
});
