import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { models } from '../../src/models/index.js';
import { runSimulation } from '../../src/parallel/simulation/run.js';
import { summarize } from '../../src/cli/summary.js';
import { writeJsonTo } from '../../src/cli/json-writer.js';
import { reportHtml } from '../../src/report-html/html.js';
import { maxOf, minOf } from '../../src/report/format.js';
import { useBackend } from '../helpers/backend.js';

before(async () => {
  await useBackend();
});

test('maxOf / minOf take arrays far longer than a call may have arguments', () => {
  const xs = Float64Array.from({ length: 1 << 20 }, (_, i) => (i * 7919) % 1000003);
  assert.throws(() => Math.max(...xs), RangeError); // what they replace
  assert.equal(maxOf(xs), 1000002);
  assert.equal(minOf(xs), 0);
  assert.equal(maxOf([], 0), 0);
  assert.equal(minOf([3, -1, 2]), -1);
});

test('2^20 data-parallel ranks in meta mode, folded: the report, its summary, its JSON and its HTML are built without a stack overflow', { timeout: 300_000 }, async () => {
  const dp = 2 ** 20;
  const report = await runSimulation({
    mesh: { dp },
    mode: 'meta',
    model: models.ffn({ hidden: 8 }),
    input: { batch: dp, seq: 2 },
  });
  assert.equal(report.exitCode, 0, JSON.stringify(report.errors));
  assert.equal(report.mesh.worldSize, dp);
  assert.equal(report.memory.perRank.length, dp);
  assert.equal(report.timeline.perRank.length, dp);
  assert.ok(report.timeline.stepTimeUs > 0);
  assert.match(summarize(report), /dp=1048576 × tp=1 = 1048576 ranks/);
  let chars = 0;
  writeJsonTo((s) => (chars += s.length), report);
  assert.ok(chars > 10 * dp, `${chars} characters of JSON`); // at least the per-rank lines
  assert.ok(reportHtml(report).length > 0);
});
