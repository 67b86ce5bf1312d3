import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { problemsOf } from '../../src/extension/problems.js';
import { BIAS_BUG, biasBug, DEADLOCK, deadlock, lineOf, seedMeta } from './helpers/reports.js';

describe('problems of a run, at the lines to change', () => {
  test('a deadlock: one problem at each waiting rank\'s line, saying what it waits for and the fix', async () => {
    const { report } = await deadlock();
    const ps = problemsOf(report);
    assert.equal(ps.length, 2);
    const [p0, p1] = [...ps].sort((a, b) => a.line - b.line);
    assert.equal(p0.file, DEADLOCK);
    assert.equal(p0.line, lineOf(DEADLOCK, '@recv-on-0'));
    assert.equal(p1.line, lineOf(DEADLOCK, '@recv-on-1'));
    assert.equal(p0.code, 'deadlock');
    assert.equal(p0.message, 'deadlock: 2 ranks wait and none can proceed — rank 0 waits in recv [4, 8] float32 from rank 1 (tag 0). Fix: every member of a group must call the same collectives in the same order, and every recv needs a matching send from the rank it names');
    assert.match(p1.message, /— rank 1 waits in recv \[4, 8\] float32 from rank 0/);
    assert.deepEqual(p0.related.map((r) => r.line), [p1.line]);
  });

  test('a divergence: at the line that caused it, with what to change', async () => {
    const { report } = await biasBug();
    const ps = problemsOf(report);
    assert.equal(ps.length, 1);
    const p = ps[0];
    assert.equal(p.file, BIAS_BUG);
    assert.equal(p.line, lineOf(BIAS_BUG, '@bias-bug'));
    assert.equal(p.code, 'divergence');
    assert.match(p.message, /^output of fc2 differs from the unsharded model \(max \|Δ\| [\d.]+, relative [\d.]+\): the bias is added on each of 4 ranks before the all-reduce sums them, .* — add it after the all-reduce$/);
    assert.deepEqual(p.related.map((r) => [r.line, r.message]), [[lineOf(BIAS_BUG, '@fc2'), 'fc2 is built here']]);
  });

  test('a clean run has no problems', async () => {
    assert.deepEqual(problemsOf((await seedMeta()).report), []);
  });

  test('a warning of the report (ranks sharing module-level state) is a warning at its line, with its fix', async () => {
    const { report } = await seedMeta();
    const source = { file: '/w/s.ts', line: 7, column: 1 };
    const ps = problemsOf({ ...report, warnings: [{ message: '904 ranks share its module-level state', fix: 'keep it in the program', source }] });
    assert.deepEqual(ps.map((p) => [p.file, p.line, p.severity, p.code, p.message]), [['/w/s.ts', 7, 'warning', 'shared-state', '904 ranks share its module-level state. Fix: keep it in the program']]);
  });
});
