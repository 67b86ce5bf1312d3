import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineTracker } from '../../src/extension/hints/line-tracker.js';

/** A tracker over `text` with facts on the given 0-based lines, and a way to edit the text. */
function setup(text: string, lines: number[]) {
  let doc = text.split('\n');
  const t = new LineTracker(lines.map((line) => ({ line, text: doc[line], value: `fact@${line}` })));
  const edit = (startLine: number, startCol: number, endLine: number, endCol: number, insert: string) => {
    const off = (l: number, c: number) => doc.slice(0, l).reduce((a, x) => a + x.length + 1, 0) + c;
    const all = doc.join('\n');
    doc = (all.slice(0, off(startLine, startCol)) + insert + all.slice(off(endLine, endCol))).split('\n');
    t.applyChange({ startLine, endLine, text: insert });
    t.settle((l) => doc[l]);
  };
  const where = () => Object.fromEntries(t.lines().map((l) => [l.value, l.line]));
  return { t, edit, where, doc: () => doc };
}

const TEXT = ['line 0', 'line 1 fc1', 'line 2', 'line 3 fc2', 'line 4'].join('\n');

describe('hints follow their lines while the person edits', () => {
  test('a line inserted above moves the facts down', () => {
    const s = setup(TEXT, [1, 3]);
    s.edit(0, 0, 0, 0, 'new line\n');
    assert.deepEqual(s.where(), { 'fact@1': 2, 'fact@3': 4 });
  });

  test('Enter at the end of a hinted line keeps its facts; the lines below move', () => {
    const s = setup(TEXT, [1, 3]);
    s.edit(1, 10, 1, 10, '\n  more');
    assert.deepEqual(s.where(), { 'fact@1': 1, 'fact@3': 4 });
  });

  test('typing in a hinted line clears that line only', () => {
    const s = setup(TEXT, [1, 3]);
    s.edit(3, 4, 3, 4, 'X');
    assert.deepEqual(s.where(), { 'fact@1': 1 });
  });

  test('deleting lines above moves the facts up; deleting a hinted line drops it', () => {
    const s = setup(TEXT, [1, 3]);
    s.edit(0, 0, 1, 0, ''); // delete line 0
    assert.deepEqual(s.where(), { 'fact@1': 0, 'fact@3': 2 });
    s.edit(0, 0, 1, 0, ''); // delete the fc1 line
    assert.deepEqual(s.where(), { 'fact@3': 1 });
  });

  test('an edit that changes a line and restores it keeps nothing stale: the text must match', () => {
    const s = setup(TEXT, [3]);
    s.edit(2, 0, 4, 0, 'replaced\n'); // lines 2..3 replaced by one line
    assert.deepEqual(s.where(), {});
  });

  test('currentLine maps a report line to where it is now', () => {
    const s = setup(TEXT, [3]);
    s.edit(0, 0, 0, 0, 'a\nb\n');
    assert.equal(s.t.currentLine(3), 5);
    assert.equal(s.t.currentLine(1), undefined);
  });
});
