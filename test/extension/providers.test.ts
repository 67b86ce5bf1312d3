import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, beforeEach, describe, test } from 'node:test';
import { HintStore } from '../../src/extension/hints/hint-store.js';
import { AutoDistCodeLens, AutoDistHover, AutoDistInlayHints } from '../../src/extension/hints/providers.js';
import { COMMANDS } from '../../src/extension/ids.js';
import { verdictOf } from '../../src/extension/verdict.js';
import type { Report } from '../../src/report/types.js';
import { EXAMPLE, lineOf, seedMeta } from './helpers/reports.js';
import * as vscode from './helpers/vscode-fake.js';

let report: Report;
const FC1 = () => lineOf(EXAMPLE, 'new ColumnParallelLinear(') - 1; // 0-based, as the editor counts
const FC2 = () => lineOf(EXAMPLE, 'new RowParallelLinear(') - 1;
const text = readFileSync(EXAMPLE, 'utf8');

before(async () => {
  report = (await seedMeta()).report;
});

function setup() {
  vscode.reset();
  const doc = vscode.FakeDocument.of(EXAMPLE, text);
  vscode.workspace.textDocuments.push(doc);
  const store = new HintStore((f) => (f === EXAMPLE ? text : undefined));
  store.set(report, verdictOf(report));
  const whole = new vscode.Range(0, 0, doc.lineCount, 0);
  const hints = () => new AutoDistInlayHints(store).provideInlayHints(doc as never, whole as never) as unknown as vscode.InlayHint[];
  return { doc, store, whole, hints };
}

describe('inlay hints', () => {
  beforeEach(() => vscode.reset());

  test('at the end of the lines that built the parallel layers', () => {
    const { doc, hints } = setup();
    const hs = hints();
    assert.deepEqual(
      hs.map((h) => [h.position.line, h.position.character, h.label]),
      [
        [FC1(), doc.lineAt(FC1()).text.length, 'tp=4 · W→[1024×1024] · out [8,128,1024]'],
        [FC2(), doc.lineAt(FC2()).text.length, 'all-reduce fwd 4.0 MiB · 6.0 MiB sent/rank'],
      ],
    );
    assert.equal(hs[0].kind, vscode.InlayHintKind.Type);
    assert.equal(hs[0].paddingLeft, true);
    assert.match((hs[1].tooltip as vscode.MarkdownString).value, /Collectives issued here/);
  });

  test('only inside the range asked for', () => {
    const { doc, store } = setup();
    const r = new vscode.Range(FC2(), 0, FC2(), 5);
    const hs = new AutoDistInlayHints(store).provideInlayHints(doc as never, r as never) as unknown as vscode.InlayHint[];
    assert.deepEqual(hs.map((h) => h.position.line), [FC2()]);
  });

  test('cleared where the text changed, moved where lines were inserted above', () => {
    const { doc, store, hints } = setup();
    let fired = 0;
    store.onDidChange(() => fired++);
    doc.edit(new vscode.Range(0, 0, 0, 0), '// a comment\n');
    assert.deepEqual(hints().map((h) => h.position.line), [FC1() + 1, FC2() + 1]);
    assert.equal(fired, 1, 'providers are told to refresh');
    // edit the fc1 line (now one lower): its hint goes, fc2's stays
    const l = FC1() + 1;
    doc.edit(new vscode.Range(l, 4, l, 4), 'x');
    assert.deepEqual(hints().map((h) => [h.position.line, h.label]), [[FC2() + 1, 'all-reduce fwd 4.0 MiB · 6.0 MiB sent/rank']]);
    assert.equal(fired, 2);
    // an edit elsewhere that moves nothing does not refresh
    doc.edit(new vscode.Range(0, 0, 0, 2), '//');
    assert.equal(fired, 2);
  });

  test('a document already edited when the run ends gets no hint on its changed lines', () => {
    vscode.reset();
    const lines = text.split('\n');
    lines[FC2()] = lines[FC2()].replace('inputIsParallel: true', 'inputIsParallel: false');
    const doc = vscode.FakeDocument.of(EXAMPLE, lines.join('\n'));
    vscode.workspace.textDocuments.push(doc);
    const store = new HintStore(() => text);
    store.set(report, verdictOf(report));
    const hs = new AutoDistInlayHints(store).provideInlayHints(doc as never, new vscode.Range(0, 0, 99, 0) as never) as unknown as vscode.InlayHint[];
    assert.deepEqual(hs.map((h) => h.position.line), [FC1()]);
  });

  test('nothing before a run, nothing after clear()', () => {
    const { store, hints } = setup();
    store.clear();
    assert.deepEqual(hints(), []);
  });
});

describe('hover', () => {
  test('on a hinted line: the per-rank table and the ledger entries, with a link to the panel', () => {
    const { doc, store } = setup();
    const h = new AutoDistHover(store).provideHover(doc as never, new vscode.Position(FC2(), 3) as never) as unknown as vscode.Hover;
    const md = h.contents.value;
    assert.match(md, /\| rank \| coords \| module \| param \| global \| local \| placement \|/);
    assert.match(md, /\| 3 \| tp=3 \| fc2 \| weight \| \[4096, 1024\] \| \[1024, 1024\] \| Shard\(0\) \|/);
    assert.match(md, /\| \d+ \| all-reduce \(sum\) \| forward \| tp \[0,1,2,3\] \| \[8, 128, 1024\] float32 \| 4,194,304 \(4\.0 MiB\) \| ring \| 6\.0 MiB \|/);
    assert.match(md, new RegExp(`\\(command:${COMMANDS.showPanel}\\)`));
    assert.deepEqual(h.contents.isTrusted, { enabledCommands: [COMMANDS.showPanel] });
    assert.equal(h.range?.start.line, FC2());
  });

  test('elsewhere: none', () => {
    const { doc, store } = setup();
    assert.equal(new AutoDistHover(store).provideHover(doc as never, new vscode.Position(0, 0) as never), undefined);
  });
});

describe('CodeLens', () => {
  test('over parallelize in the script of the run: summary (opens the panel) and re-run', () => {
    const { doc, store } = setup();
    const lenses = new AutoDistCodeLens(store).provideCodeLenses(doc as never) as unknown as vscode.CodeLens[];
    assert.equal(lenses.length, 2);
    assert.equal(lenses[0].range.start.line, lineOf(EXAMPLE, 'parallelize(') - 1);
    // Re-run comes first, so a narrow editor that cuts the line keeps it
    assert.equal(lenses[0].command!.title, 'Re-run');
    assert.equal(lenses[0].command!.command, COMMANDS.simulate);
    assert.equal((lenses[0].command!.arguments![0] as vscode.Uri).fsPath, EXAMPLE);
    assert.match(lenses[1].command!.title, /^AutoDist: shapes and traffic only \(meta mode\) · 4 ranks · 2 collectives 8\.0 MiB · step /);
    assert.equal(lenses[1].command!.command, COMMANDS.showPanel);
  });

  test('not in other files', () => {
    const { store } = setup();
    const other = vscode.FakeDocument.of('/tmp/other.ts', 'export default simulation({ parallelize() {} });');
    assert.deepEqual(new AutoDistCodeLens(store).provideCodeLenses(other as never), []);
  });
});
