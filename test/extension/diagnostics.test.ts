import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProblemsReporter } from '../../src/extension/diagnostics.js';
import { BIAS_BUG, biasBug, DEADLOCK, deadlock, lineOf, seedMeta } from './helpers/reports.js';
import * as vscode from './helpers/vscode-fake.js';

const collection = (p: ProblemsReporter) => p.collection as unknown as vscode.FakeDiagnosticCollection;

describe('diagnostics in the Problems panel', () => {
  test('a deadlock: an error at every waiting rank\'s line, each naming the other', async () => {
    vscode.reset();
    const p = new ProblemsReporter(() => undefined);
    p.set((await deadlock()).report);
    const ds = collection(p).entries.get(DEADLOCK)!;
    assert.equal(ds.length, 2);
    const byLine = new Map(ds.map((d) => [d.range.start.line, d]));
    const l0 = lineOf(DEADLOCK, '@recv-on-0') - 1;
    const l1 = lineOf(DEADLOCK, '@recv-on-1') - 1;
    assert.deepEqual([...byLine.keys()].sort((a, b) => a - b), [l0, l1]);
    const d0 = byLine.get(l0)!;
    assert.equal(d0.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d0.source, 'AutoDist');
    assert.equal(d0.code, 'deadlock');
    assert.equal(d0.range.start.character, 22); // the recv call
    assert.match(d0.message, /^deadlock: 2 ranks wait and none can proceed — rank 0 waits in recv \[4, 8\] float32 from rank 1 \(tag 0\)\. Fix: .*every recv needs a matching send/);
    assert.equal(d0.relatedInformation!.length, 1);
    assert.equal((d0.relatedInformation![0].location.range as vscode.Position).line, l1);
    assert.match(d0.relatedInformation![0].message, /^rank 1 waits in recv/);
  });

  test('a divergence: an error at the line that caused it, related to where the layer was built', async () => {
    vscode.reset();
    const p = new ProblemsReporter(() => undefined);
    p.set((await biasBug()).report);
    const ds = collection(p).entries.get(BIAS_BUG)!;
    assert.equal(ds.length, 1);
    const d = ds[0];
    assert.equal(d.range.start.line, lineOf(BIAS_BUG, '@bias-bug') - 1);
    assert.equal(d.code, 'divergence');
    assert.match(d.message, /the bias is added on each of 4 ranks before the all-reduce sums them.* — add it after the all-reduce$/);
    assert.equal((d.relatedInformation![0].location.range as vscode.Position).line, lineOf(BIAS_BUG, '@fc2') - 1);
  });

  test('a problem without a line goes to the simulation( call of the script', () => {
    vscode.reset();
    const p = new ProblemsReporter(() => 'import { simulation } from "autodist";\n\nexport default simulation({\n});');
    const bare = { errors: [{ kind: 'time-limit', message: 'too slow', headline: 'too slow', fix: 'raise autodist.timeLimit', ranks: [] }], verification: { passed: false, outputs: [], grads: [] }, script: '/w/s.ts' };
    p.set(bare as never);
    const d = collection(p).entries.get('/w/s.ts')![0];
    assert.equal(d.range.start.line, 2);
    assert.equal(d.message, 'too slow. Fix: raise autodist.timeLimit');
  });

  test('a clean run clears the previous run\'s problems', async () => {
    vscode.reset();
    const p = new ProblemsReporter(() => undefined);
    p.set((await deadlock()).report);
    p.set((await seedMeta()).report);
    assert.equal(collection(p).entries.size, 0);
  });
});
