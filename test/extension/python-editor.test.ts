/**
 * PyTorch files in the editor: which .py files are scripts, where their process count comes from,
 * and — through the real worker (src/runner's Python path) — the seed-003 FFN and the
 * bias-before-all-reduce mistake run from the command, with each rank's prints in the "AutoDist"
 * channel, inlay hints, hover and CodeLens at the .py lines, and Problems at the mistake's line.
 * Expected hint texts are derived by hand from the file (H=64, B=2, S=8, 4 processes).
 */
import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { activate } from '../../src/extension/extension.js';
import { AutoDistCodeLens, AutoDistHover, AutoDistInlayHints } from '../../src/extension/hints/providers.js';
import { COMMANDS, CONTEXT, NPROC_MEMORY_KEY } from '../../src/extension/ids.js';
import { chooseNproc, fileOverrides, NPROC_CHOICES } from '../../src/extension/nproc.js';
import { RankOutput } from '../../src/extension/rank-output.js';
import { isScriptDocument, isScriptText } from '../../src/extension/scripts.js';
import { pythonAvailable } from '../../src/runner/python/interpreter.js';
import { fileFlags, nprocOfFlags } from '../../src/runner/python/file-flags.js';
import { FakeRunner, tick } from './helpers/fake-runner.js';
import * as vscode from './helpers/vscode-fake.js';

const root = path.resolve(__dirname, '../..');
const FFN = path.join(root, 'examples/python/ffn_tp4.py');
const BIAS = path.join(root, 'examples/python/ffn_bias_before_allreduce.py');
const ffnText = readFileSync(FFN, 'utf8');
/** 0-based line of the first line holding `marker`. */
const at = (text: string, marker: string) => {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, marker);
  return i;
};

function start(runner?: FakeRunner) {
  vscode.reset();
  const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: vscode.Uri.file(root), globalStorageUri: vscode.Uri.file('/tmp/autodist-storage'), workspaceState: new vscode.FakeMemento() };
  const api = runner ? activate(context as never, runner) : activate(context as never);
  return { context, api, channel: () => vscode.state.channels.find((c) => c.name === 'AutoDist')! };
}

const open = (file: string, text = readFileSync(file, 'utf8')) => {
  const doc = vscode.FakeDocument.of(file, text);
  vscode.workspace.textDocuments.push(doc);
  vscode.window.setActiveEditor(doc);
  return doc;
};

describe('which Python files are scripts', () => {
  test('a .py file that imports torch, has a "# autodist:" line, or starts a process group or mesh', () => {
    assert.equal(isScriptText('import torch\n', 'a.py'), true);
    assert.equal(isScriptText('from torch.distributed import init_process_group\n', 'a.py'), true);
    assert.equal(isScriptText('# autodist: --nproc-per-node 2\nprint(1)\n', 'a.py'), true);
    assert.equal(isScriptText('import mylib\nmylib.init_device_mesh("cuda", (2, 2))\n', 'a.py'), true);
    assert.equal(isScriptText('import numpy as np\nprint("torch")\n', 'a.py'), false);
    assert.equal(isScriptText('# import torch\n', 'a.py'), false);
    // a TypeScript file is a script only by importing autodist
    assert.equal(isScriptText('import torch\n', 'a.ts'), false);
    assert.equal(isScriptDocument(vscode.FakeDocument.of(FFN, ffnText)), true);
  });

  test('the editor\'s Run button shows for a PyTorch file, not for other Python', () => {
    start(new FakeRunner());
    open(FFN);
    open('/tmp/autodist-ws/plain.py', 'print(1)\n');
    const marks = vscode.state.executed.filter((e) => e.id === 'setContext' && e.args[0] === CONTEXT.activeIsScript).map((e) => e.args[1]);
    assert.deepEqual(marks, [false, true, false]); // at activation (no editor), the FFN, plain.py
  });

  test('a CodeLens at init_process_group runs the file before any run', () => {
    const { api } = start(new FakeRunner());
    const doc = open(FFN);
    const hints = api.hints;
    const lenses = new AutoDistCodeLens(hints).provideCodeLenses(doc as never) as unknown as vscode.CodeLens[];
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.command, (l.command?.arguments?.[0] as vscode.Uri).fsPath]), [
      [at(ffnText, 'dist.init_process_group('), COMMANDS.simulate, FFN],
      [at(ffnText, 'dist.init_process_group('), COMMANDS.simulateMeta, FFN],
    ]);
    // not on plain Python, nor on a TypeScript file before its run
    assert.deepEqual(new AutoDistCodeLens(hints).provideCodeLenses(vscode.FakeDocument.of('/tmp/x.py', 'print(1)') as never), []);
  });
});

describe('how many processes', () => {
  beforeEach(() => vscode.reset());

  test('the file\'s flags, as torchrun spells them', () => {
    assert.deepEqual(fileFlags('# autodist: --nproc-per-node 4 --meta\nx = 1\n  #autodist: --hardware a100\n'), ['--nproc-per-node', '4', '--meta', '--hardware', 'a100']);
    assert.equal(nprocOfFlags(['--nproc-per-node', '4']), 4);
    assert.equal(nprocOfFlags(['--meta', '--nproc_per_node=2']), 2);
    assert.equal(nprocOfFlags(['--meta']), undefined);
    assert.ok(Number.isNaN(nprocOfFlags(['--nproc-per-node'])));
  });

  test('the file\'s line, else the setting, else a pick remembered per file', async () => {
    const memory = new vscode.FakeMemento();
    assert.deepEqual(await chooseNproc('/w/a.py', '# autodist: --nproc-per-node 4\n', 2, memory), { n: 4, from: 'file' });
    assert.deepEqual(await chooseNproc('/w/a.py', 'import torch\n', 2, memory), { n: 2, from: 'setting' });
    let offered: string[] = [];
    vscode.state.answers.push((items: { label: string }[]) => ((offered = items.map((i) => i.label)), items[1]));
    assert.deepEqual(await chooseNproc('/w/a.py', 'import torch\n', undefined, memory), { n: 2, from: 'picked' });
    assert.deepEqual(offered, NPROC_CHOICES.map(String));
    // asked once: the second run takes the remembered answer; another file is asked again
    assert.deepEqual(await chooseNproc('/w/a.py', 'import torch\n', undefined, memory), { n: 2, from: 'remembered' });
    assert.deepEqual(memory.get(NPROC_MEMORY_KEY), { [path.resolve('/w/a.py')]: 2 });
    assert.equal(await chooseNproc('/w/b.py', 'import torch\n', undefined, memory), undefined); // dismissed
  });

  test('the file\'s other flags, read as the command line reads them, set the editor\'s run', () => {
    assert.deepEqual(fileOverrides('/w/a.py', '# autodist: --nproc-per-node 4\n'), { overrides: {}, meta: false, notes: [] });
    assert.deepEqual(fileOverrides('/w/a.py', '# autodist: --nproc-per-node 2 --hardware a100 --algorithm tree --timeout 30 --meta\n'), { overrides: { hardware: 'a100', algorithm: 'tree', timeLimitS: 30 }, meta: true, notes: [] });
    const cli = fileOverrides('/w/a.py', '# autodist: --json r.json --hardware tpu\n');
    assert.deepEqual(cli.overrides, {});
    assert.match(cli.notes.join('\n'), /--hardware tpu is not one of h100, a100, h200/);
    assert.match(cli.notes.join('\n'), /--json is for the command line/);
    assert.match(fileOverrides('/w/a.py', '# autodist: --nproc-per-node 2 --frobnicate\n').notes[0], /^the "# autodist:" line: .*frobnicate/);
  });

  test('Simulate on a .py passes the count to the runner; dismissing the pick runs nothing', async () => {
    const runner = new FakeRunner();
    start(runner);
    open(FFN);
    void vscode.commands.executeCommand(COMMANDS.simulateMeta);
    for (let i = 0; i < 10 && !runner.runs.length; i++) await tick();
    assert.equal(runner.runs[0].req.settings.nprocPerNode, 4); // the file's "# autodist: --nproc-per-node 4"
    assert.equal(runner.runs[0].req.mode, 'meta');
    runner.runs[0].fail(new Error('stop'));
    await tick();

    const plain = '/tmp/autodist-ws/train.py';
    open(plain, '# autodist: --hardware h200\nimport torch\nimport torch.distributed as dist\ndist.init_process_group("gloo")\n');
    vscode.state.config = { 'autodist.nprocPerNode': 8 };
    void vscode.commands.executeCommand(COMMANDS.simulate);
    for (let i = 0; i < 10 && runner.runs.length < 2; i++) await tick();
    assert.equal(runner.runs[1].req.settings.nprocPerNode, 8);
    assert.equal(runner.runs[1].req.settings.hardware, 'h200'); // the file's flag over the setting's default
    runner.runs[1].fail(new Error('stop'));
    await tick();

    vscode.state.config = {};
    await vscode.commands.executeCommand(COMMANDS.simulate); // the pick is dismissed (no answer)
    assert.equal(runner.runs.length, 2);
  });
});

describe('what the ranks print', () => {
  test('whole lines, "[rankN]: …", pieces of a line joined per rank', () => {
    const lines: string[] = [];
    const out = new RankOutput((l, s) => lines.push(`${s} ${l}`));
    out.push(0, 'stdout', 'loss');
    out.push(1, 'stdout', 'fc2 1.0\n');
    out.push(0, 'stdout', ' 2.5e-3\ny[0] 1');
    out.push(2, 'stderr', 'Traceback\r\n  line 3\n');
    out.flush();
    assert.deepEqual(lines, ['stdout [rank1]: fc2 1.0', 'stdout [rank0]: loss 2.5e-3', 'stderr [rank2]: Traceback', 'stderr [rank2]:   line 3', 'stdout [rank0]: y[0] 1']);
  });

  test('the controller sends them to the "AutoDist" channel, stderr as warnings', async () => {
    const runner = new FakeRunner();
    const s = start(runner);
    open(FFN);
    const p = vscode.commands.executeCommand(COMMANDS.simulateMeta);
    for (let i = 0; i < 10 && !runner.runs.length; i++) await tick();
    runner.runs[0].emit({ type: 'output', rank: 0, stream: 'stdout', text: 'loss 1.0\n' }, { type: 'output', rank: 3, stream: 'stderr', text: 'oops' });
    runner.runs[0].fail(new Error('stop'));
    await p;
    const lines = s.channel().lines;
    assert.ok(lines.includes('[rank0]: loss 1.0'), lines.join('\n'));
    assert.ok(lines.includes('warn [rank3]: oops'), lines.join('\n'));
    assert.ok(lines.some((l) => /ffn_tp4\.py: 4 processes \(the file's "# autodist:" line\)/.test(l)), lines.join('\n'));
  });
});

const skip = pythonAvailable() ? false : 'no WebAssembly stack switching in this Node (run with --experimental-wasm-stack-switching)';

describe('a PyTorch file run from the editor, in the worker', { skip }, () => {
  test('seed-003 FFN: verified; prints, hints, hover and CodeLens at the .py lines; hints leave an edited line', { timeout: 240_000 }, async () => {
    const s = start();
    const doc = open(FFN);
    vscode.state.config = { 'autodist.backend': 'wasm' };
    await vscode.commands.executeCommand(COMMANDS.simulate);
    const last = s.api.last;
    assert.ok(last, vscode.state.messages.map((m) => m.text).join('\n'));
    assert.deepEqual(last.report.errors, []);
    assert.equal(last.verdict.status, 'verified', last.verdict.text);
    assert.equal(last.report.mesh.worldSize, 4);
    // every rank printed its fc2.weight.grad line; rank 0 its loss
    const lines = s.channel().lines;
    for (const r of [0, 1, 2, 3]) assert.ok(lines.some((l) => l.startsWith(`[rank${r}]: fc2.weight.grad[0,:2] `)), lines.join('\n'));
    assert.ok(lines.some((l) => /^\[rank0\]: loss \d/.test(l)));

    const hints = s.api.hints;
    const whole = new vscode.Range(0, 0, doc.lineCount, 0);
    const inlay = () => (new AutoDistInlayHints(hints).provideInlayHints(doc as never, whole as never) as unknown as vscode.InlayHint[]).map((h) => [h.position.line, h.label] as const).sort((a, b) => a[0] - b[0]);
    // fc1: W [4H, H] = [256, 64] split 4 ways along its rows → [64, 64], output [B, S, 4H/4] = [2, 8, 64];
    // fc2: W [H, 4H] = [64, 256] → [64, 64]; the all-reduce of fc2's [2, 8, 64] fp32 partial sums is
    // 2·8·64·4 = 4096 B, ring: each rank sends 2·(4−1)/4 of it = 6144 B; CopyToTP's backward the same
    assert.deepEqual(inlay(), [
      [at(ffnText, '        dist.all_reduce(dy)'), 'all-reduce bwd 4.0 KiB · 6.0 KiB sent/rank'],
      [at(ffnText, '        dist.all_reduce(y)'), 'all-reduce fwd 4.0 KiB · 6.0 KiB sent/rank'],
      [at(ffnText, '    model = FFN(H)'), 'out [2,8,64]'],
      [at(ffnText, 'model.fc1 = ColumnParallelLinear('), 'world=4 · W[256×64]→[64×64] · out [2,8,64]'],
      [at(ffnText, 'model.fc2 = RowParallelLinear('), 'world=4 · W[64×256]→[64×64] · out [2,8,64]'],
    ]);
    const hover = new AutoDistHover(hints).provideHover(doc as never, new vscode.Position(at(ffnText, 'model.fc1 = ColumnParallelLinear('), 4) as never) as unknown as vscode.Hover;
    const md = hover.contents.value;
    for (const r of [0, 1, 2, 3]) assert.match(md, new RegExp(`\\| ${r} \\| world=${r} \\| fc1 \\| weight \\| \\[256, 64\\] \\| \\[64, 64\\] \\| Shard\\(0\\) \\|`));
    const lens = new AutoDistCodeLens(hints).provideCodeLenses(doc as never) as unknown as vscode.CodeLens[];
    assert.deepEqual(lens.map((l) => l.range.start.line), [at(ffnText, 'dist.init_process_group('), at(ffnText, 'dist.init_process_group(')]);
    assert.equal(lens[0].command?.title, 'Re-run');
    assert.match(lens[1].command?.title ?? '', /^AutoDist: .*verified.* · 4 ranks · 2 collectives 8\.0 KiB/);

    // the person edits the all-reduce line: its hint goes, the others stay
    const line = at(ffnText, '        dist.all_reduce(y)');
    doc.edit(new vscode.Range(line, 8, line, 8), 'y = y * 1; ');
    assert.deepEqual(inlay().map(([l]) => l), [at(ffnText, '        dist.all_reduce(dy)'), at(ffnText, '    model = FFN(H)'), at(ffnText, 'model.fc1 = ColumnParallelLinear('), at(ffnText, 'model.fc2 = RowParallelLinear(')]);
    for (const d of s.context.subscriptions) d.dispose();
  });

  test('the bias added before the all-reduce: not verified, a Problem at the line that built fc2', { timeout: 240_000 }, async () => {
    const s = start();
    const text = readFileSync(BIAS, 'utf8');
    open(BIAS, text);
    await vscode.commands.executeCommand(COMMANDS.simulate);
    const last = s.api.last;
    assert.ok(last, vscode.state.messages.map((m) => m.text).join('\n'));
    assert.equal(last.verdict.status, 'diverged', last.verdict.text);
    const collection = created('DiagnosticCollection autodist');
    const ds = collection.get(vscode.Uri.file(BIAS)) ?? [];
    assert.deepEqual(ds.map((d) => [d.range.start.line, d.code, d.severity]), [[at(text, 'model.fc2 = RowParallelLinear('), 'divergence', vscode.DiagnosticSeverity.Error]]);
    assert.match(ds[0].message, /output of fc2 \(RowParallelLinear\) differs/);
    for (const d of s.context.subscriptions) d.dispose();
  });
});

/** The fake's diagnostic collection the extension made. */
function created(name: string): vscode.FakeDiagnosticCollection {
  const c = diagnosticCollections.filter((d) => `DiagnosticCollection ${d.name}` === name).at(-1);
  assert.ok(c, name);
  return c;
}
const diagnosticCollections: vscode.FakeDiagnosticCollection[] = [];
const make = vscode.languages.createDiagnosticCollection;
vscode.languages.createDiagnosticCollection = (name: string) => {
  const c = make(name);
  diagnosticCollections.push(c);
  return c;
};
