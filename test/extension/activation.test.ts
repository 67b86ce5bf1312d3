import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, beforeEach, describe, test } from 'node:test';
import { activate } from '../../src/extension/extension.js';
import { COMMANDS } from '../../src/extension/ids.js';
import { newScript } from '../../src/extension/scaffold.js';
import { EXAMPLE, lineOf, seedMeta, type Recorded } from './helpers/reports.js';
import { FakeRunner, tick } from './helpers/fake-runner.js';
import * as vscode from './helpers/vscode-fake.js';

const root = path.resolve(__dirname, '../..');
let seed: Recorded;
before(async () => {
  seed = await seedMeta();
});

function start() {
  vscode.reset();
  const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: vscode.Uri.file(root), globalStorageUri: vscode.Uri.file('/tmp/autodist-storage'), workspaceState: new vscode.FakeMemento() };
  const runner = new FakeRunner();
  const api = activate(context as never, runner);
  return { context, runner, api };
}

/** Runs Simulate on the example with the fake runner and lets it finish. */
async function simulateExample(s: ReturnType<typeof start>, id: string = COMMANDS.simulate) {
  const doc = vscode.FakeDocument.of(EXAMPLE, readFileSync(EXAMPLE, 'utf8'));
  vscode.workspace.textDocuments.push(doc);
  vscode.window.activeTextEditor = { document: doc };
  const before = s.runner.runs.length;
  const p = vscode.commands.executeCommand(id);
  for (let i = 0; i < 10 && s.runner.runs.length === before; i++) await tick();
  s.runner.runs.at(-1)!.finish(seed.report);
  await p;
  return doc;
}

describe('activation', () => {
  beforeEach(() => vscode.reset());

  test('registers every command of ids.ts, the providers for TS, JS and Python, and the panel serializer', () => {
    start();
    assert.deepEqual([...vscode.state.commands.keys()].sort(), Object.values(COMMANDS).sort());
    const kinds = vscode.state.providers.map((p) => p.kind).sort();
    assert.deepEqual(kinds, ['codelens', 'hover', 'inlay', 'serializer']);
    const inlay = vscode.state.providers.find((p) => p.kind === 'inlay')!;
    assert.deepEqual(inlay.selector, [{ language: 'typescript', scheme: 'file' }, { language: 'javascript', scheme: 'file' }, { language: 'python', scheme: 'file' }]);
  });

  test('everything it creates is disposed with context.subscriptions', () => {
    const { context } = start();
    assert.ok(vscode.created.length >= 12, `${vscode.created.length} disposables`);
    for (const d of context.subscriptions) d.dispose();
    const leaked = vscode.created.filter((t) => !t.disposed).map((t) => t.what);
    assert.deepEqual(leaked, []);
  });

  test('in an untrusted workspace, Simulate refuses and runs nothing', async () => {
    const s = start();
    vscode.workspace.isTrusted = false;
    await vscode.commands.executeCommand(COMMANDS.simulate, vscode.Uri.file(EXAMPLE));
    assert.equal(s.runner.runs.length, 0);
    assert.match(vscode.state.messages[0].text, /only in trusted workspaces/);
  });

  test('Simulate runs the active script with the settings; Meta Mode runs it in meta mode', async () => {
    const s = start();
    vscode.state.config = { 'autodist.mesh': 'tp=2', 'autodist.hardware': 'a100', 'autodist.timeLimit': 30 };
    await simulateExample(s);
    const req = s.runner.runs[0].req;
    assert.equal(req.script, EXAMPLE);
    assert.equal(req.mode, 'numeric');
    assert.deepEqual(req.settings.mesh, { tp: 2 });
    assert.equal(req.settings.hardware, 'a100');
    assert.equal(req.settings.timeLimitS, 30);
    await simulateExample(s, COMMANDS.simulateMeta);
    assert.equal(s.runner.runs[1].req.mode, 'meta');
    assert.ok(vscode.state.executed.some((e) => e.id === 'setContext' && e.args[0] === 'autodist.hasReport' && e.args[1] === true));
  });

  test('without an active script, Simulate asks which one', async () => {
    const s = start();
    const other = '/tmp/autodist-ws/b.ts';
    vscode.state.files.set(EXAMPLE, readFileSync(EXAMPLE));
    vscode.state.files.set('/tmp/autodist-ws/plain.ts', new TextEncoder().encode('export const x = 1;'));
    vscode.state.files.set(other, new TextEncoder().encode("import { simulation } from 'autodist';"));
    let listed: string[] = [];
    vscode.state.answers.push((items: { uri: vscode.Uri }[]) => {
      listed = items.map((i) => i.uri.fsPath);
      return items.find((i) => i.uri.fsPath === other);
    });
    const p = vscode.commands.executeCommand(COMMANDS.simulate);
    for (let i = 0; i < 10 && !s.runner.runs.length; i++) await tick();
    assert.equal(s.runner.runs[0].req.script, other);
    // every script is offered, sorted by path; plain.ts imports nothing from autodist and is left out
    assert.deepEqual(listed, [EXAMPLE, other].sort((a, b) => a.localeCompare(b)));
    s.runner.runs[0].finish(seed.report);
    await p;
  });

  test('the panel\'s ledger row opens the file at the line, where that line is now', async () => {
    const s = start();
    const doc = await simulateExample(s);
    const webview = vscode.state.panels[0].webview;
    const line = lineOf(EXAMPLE, 'new RowParallelLinear(');
    webview.send({ type: 'openSource', file: EXAMPLE, line, column: 15 });
    await tick();
    assert.equal(vscode.state.shown.length, 1);
    const opts = vscode.state.shown[0].options as { selection: vscode.Range };
    assert.equal(vscode.state.shown[0].uri.fsPath, EXAMPLE);
    assert.deepEqual([opts.selection.start.line, opts.selection.start.character], [line - 1, 14]);
    // two lines inserted at the top: the same report line now opens two lines lower
    doc.edit(new vscode.Range(0, 0, 0, 0), '// one\n// two\n');
    webview.send({ type: 'openSource', file: EXAMPLE, line });
    await tick();
    assert.equal((vscode.state.shown[1].options as { selection: vscode.Range }).selection.start.line, line + 1);
    // files the run never pointed at are not opened
    webview.send({ type: 'openSource', file: '/etc/passwd', line: 1 });
    await tick();
    assert.equal(vscode.state.shown.length, 2);
  });

  test('the panel\'s buttons run commands; Re-run runs the same script', async () => {
    const s = start();
    await simulateExample(s);
    vscode.window.activeTextEditor = undefined;
    const webview = vscode.state.panels[0].webview;
    webview.send({ type: 'command', command: 'rerunMeta' });
    for (let i = 0; i < 5 && s.runner.runs.length < 2; i++) await tick();
    assert.equal(s.runner.runs[1].req.script, EXAMPLE);
    assert.equal(s.runner.runs[1].req.mode, 'meta');
    s.runner.runs[1].finish(seed.report);
  });

  test('Export Trace writes the Perfetto JSON of the last run; Open Report writes and opens the HTML', async () => {
    const s = start();
    await vscode.commands.executeCommand(COMMANDS.exportTrace);
    assert.match(vscode.state.messages[0].text, /no report yet/);
    await simulateExample(s);
    const target = vscode.Uri.file('/tmp/autodist-out/ffn.trace.json');
    vscode.state.answers.push(target);
    await vscode.commands.executeCommand(COMMANDS.exportTrace);
    const trace = JSON.parse(new TextDecoder().decode(vscode.state.files.get(target.fsPath)!)) as { traceEvents: { ph: string; pid: number }[] };
    assert.equal(trace.traceEvents.filter((e) => e.ph === 'X').length, seed.report.timeline.events.length);
    assert.deepEqual([...new Set(trace.traceEvents.map((e) => e.pid))].sort(), [0, 1, 2, 3]);
    await vscode.commands.executeCommand(COMMANDS.openReport);
    assert.equal(vscode.state.opened.length, 1);
    const html = new TextDecoder().decode(vscode.state.files.get(vscode.state.opened[0].fsPath)!);
    assert.match(html, /^<!doctype html>/i);
    assert.match(vscode.state.opened[0].fsPath, /^\/tmp\/autodist-storage\/ffn_tp4\.report\.html$/);
  });

  test('the editor\'s Run button shows for scripts only (context key)', () => {
    start();
    const ctx = () => vscode.state.executed.filter((e) => e.id === 'setContext' && e.args[0] === 'autodist.activeIsScript').map((e) => e.args[1]);
    vscode.window.setActiveEditor(vscode.FakeDocument.of(EXAMPLE, readFileSync(EXAMPLE, 'utf8')));
    vscode.window.setActiveEditor(vscode.FakeDocument.of('/tmp/plain.ts', 'export const x = 1;'));
    vscode.window.setActiveEditor(undefined);
    assert.deepEqual(ctx(), [false, true, false, false]);
  });

  test('activate() returns the documented API: run state, the last report, run start/end events (test/e2e/README.md)', async () => {
    const s = start();
    const { api } = s;
    assert.equal(api.apiVersion, 1);
    assert.equal(api.running, false);
    // getters: read them afresh each time (the state changes under them)
    const run = () => api.run;
    const last = () => api.last;
    assert.equal(run(), undefined);
    assert.equal(last(), undefined);
    const running: boolean[] = [];
    const ended: { status: string; verdict?: string; reason?: string }[] = [];
    api.onDidChangeRunning((r) => running.push(r));
    api.onDidEndRun((r) => ended.push({ status: r.status, verdict: r.verdict?.status, reason: r.failure?.reason }));

    // a finished run: its state, its report
    await simulateExample(s);
    assert.equal(api.running, false);
    assert.equal(run()?.status, 'finished');
    assert.equal(run()?.script, EXAMPLE);
    assert.equal(run()?.mode, 'numeric');
    assert.equal(run()?.verdict?.text, 'shapes and traffic only (meta mode)');
    assert.equal(last()?.report, seed.report);
    assert.deepEqual(ended, [{ status: 'finished', verdict: 'shapes-only', reason: undefined }]);
    assert.deepEqual(running, [true, false]);

    // a stopped run: running while it runs, then failed with reason "cancelled"; last stays the finished one
    const p = vscode.commands.executeCommand(COMMANDS.simulate, vscode.Uri.file(EXAMPLE));
    for (let i = 0; i < 10 && s.runner.runs.length < 2; i++) await tick();
    assert.equal(api.running, true);
    assert.equal(run()?.status, 'running');
    await vscode.commands.executeCommand(COMMANDS.stop);
    await p;
    assert.equal(api.running, false);
    assert.equal(run()?.status, 'failed');
    assert.deepEqual(run()?.failure, { reason: 'cancelled', message: 'the simulation was stopped' });
    assert.deepEqual(ended.at(-1), { status: 'failed', verdict: undefined, reason: 'cancelled' });
    assert.equal(last()?.report, seed.report);
  });

  test('Stop without a run says so', async () => {
    start();
    await vscode.commands.executeCommand(COMMANDS.stop);
    assert.match(vscode.state.messages[0].text, /no simulation is running/);
  });
});

describe('New Simulation Script', () => {
  test('runs the command line\'s init in the workspace folder and opens the example', async () => {
    vscode.reset();
    const dir = mkdtempSync(path.join(tmpdir(), 'autodist-init-'));
    vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file(dir) }];
    const calls: [string, boolean][] = [];
    const init = (d: string, force: boolean, out: NodeJS.WritableStream) => {
      calls.push([d, force]);
      writeFileSync(path.join(d, 'ffn_tp4.ts'), readFileSync(EXAMPLE, 'utf8'));
      out.write(`initialized ${d}\n  wrote ffn_tp4.ts, autodist.d.ts, tsconfig.json\n`);
      return 0;
    };
    vscode.state.answers.push(0); // the TypeScript example
    const uri = (await newScript(init)) as unknown as vscode.Uri;
    vscode.workspace.workspaceFolders = undefined;
    assert.deepEqual(calls, [[dir, false]], 'never overwrites the person\'s files');
    assert.equal(uri.fsPath, path.join(dir, 'ffn_tp4.ts'));
    assert.equal(vscode.state.shown[0].uri.fsPath, uri.fsPath);
    assert.match(vscode.state.messages[0].text, /wrote ffn_tp4\.ts, autodist\.d\.ts, tsconfig\.json/);
  });
});
