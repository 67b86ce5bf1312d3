import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fmtErr } from '../../src/extension/format.js';
import { verdictOf } from '../../src/extension/verdict.js';
import { biasBug, deadlock, record, seedMeta } from './helpers/reports.js';

describe('the verdict line (status bar, CodeLens, panel)', () => {
  test('verified: the largest output and gradient errors', async () => {
    const { report } = await record(path.join(__dirname, 'fixtures/ffn-small.ts'));
    const v = verdictOf(report);
    assert.equal(v.status, 'verified');
    assert.match(v.text, /^verified: max \|Δ\| (0|\de-\d+) \(out\), (0|\de-\d+) \(grads\)$/);
  });

  test('meta mode: shapes and traffic only', async () => {
    assert.deepEqual(verdictOf((await seedMeta()).report), { status: 'shapes-only', text: 'shapes and traffic only (meta mode)' });
  });

  test('a divergence names the module and its error', async () => {
    const v = verdictOf((await biasBug()).report);
    assert.equal(v.status, 'diverged');
    assert.match(v.text, /^not verified: fc2 differs from the unsharded model \(max \|Δ\| 0\.\d+\)$/);
  });

  test('an error: its headline', async () => {
    assert.deepEqual(verdictOf((await deadlock()).report), { status: 'failed', text: 'failed: deadlock: 2 ranks wait and none can proceed' });
  });

  test('error sizes: two digits from 0.01, one significant digit below', () => {
    assert.deepEqual([0.4123, 0.0181, 3.1e-7, 2e-6, 0, 12.34].map(fmtErr), ['0.41', '0.018', '3e-7', '2e-6', '0', '12']);
  });
});
