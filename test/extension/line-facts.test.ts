import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { factsOf, hintText, hoverMarkdown, lensLine, lensText, type LineFacts } from '../../src/extension/hints/line-facts.js';
import { verdictOf } from '../../src/extension/verdict.js';
import type { Report } from '../../src/report/types.js';
import { EXAMPLE, lineOf, seedMeta } from './helpers/reports.js';

let report: Report;
let fc1: LineFacts;
let fc2: LineFacts;

before(async () => {
  report = (await seedMeta()).report;
  const lines = factsOf(report).get(EXAMPLE)!;
  fc1 = lines.get(lineOf(EXAMPLE, 'new ColumnParallelLinear('))!;
  fc2 = lines.get(lineOf(EXAMPLE, 'new RowParallelLinear('))!;
});

describe('inline hint texts from the seed-003 report (examples/ffn_tp4.ts, meta mode)', () => {
  test('facts sit on the two lines that built the parallel layers, and nowhere else', () => {
    const lines = factsOf(report).get(EXAMPLE)!;
    assert.deepEqual([...lines.keys()].sort((a, b) => a - b), [lineOf(EXAMPLE, 'new ColumnParallelLinear('), lineOf(EXAMPLE, 'new RowParallelLinear(')]);
    assert.equal(fc1.shards.length, 8); // weight and bias on 4 ranks
    assert.equal(fc2.collectives.length, 1);
    assert.equal(fc1.collectives.length, 1); // dX all-reduce in backward
  });

  test('column-parallel line: the split and the output shape', () => {
    assert.equal(hintText(fc1, report.mesh), 'tp=4 · W[1024×4096]→[1024×1024] · out [8,128,1024]');
  });

  test('row-parallel line: its forward all-reduce, logical size and ring bytes sent per rank', () => {
    assert.equal(hintText(fc2, report.mesh), 'all-reduce fwd 4.0 MiB · ring 6.0 MiB sent/rank');
  });

  test('the hover has the per-rank table and the ledger entries of the line', () => {
    const md = hoverMarkdown(fc2, report.mesh);
    assert.match(md, /^\*\*AutoDist\*\* · fc2 \(RowParallelLinear\)/);
    for (let r = 0; r < 4; r++) assert.match(md, new RegExp(`\\| ${r} \\| tp=${r} \\| fc2 \\| weight \\| \\[4096, 1024\\] \\| \\[1024, 1024\\] \\| Shard\\(0\\) \\|`));
    assert.match(md, /\| fc2 \| bias \| \[1024\] \| \[1024\] \| Replicate \|/);
    assert.match(md, /Collectives issued here \(1\)/);
    assert.match(md, /\| all-reduce \(sum\) \| forward \| tp \[0,1,2,3\] \| \[8, 128, 1024\] float32 \| 4,194,304 \(4\.0 MiB\) \| ring \| 6\.0 MiB \| 24\.0 MiB \|/);
    const md1 = hoverMarkdown(fc1, report.mesh);
    assert.match(md1, /\| all-reduce \(sum\) \| backward \|/);
    assert.match(md1, /\| 0 \| fc1 \| \[8, 128, 1024\] \|/);
  });

  test('the CodeLens: verdict and totals, over the parallelize code', () => {
    const text = lensText(report, verdictOf(report));
    assert.equal(text, 'AutoDist: shapes and traffic only (meta mode) · 4 ranks · 2 collectives 8.0 MiB · step ' + text.split('step ')[1]);
    assert.match(text, /peak \d+\.\d MiB\/rank$/);
    const src = `import x from 'autodist';\nexport default simulation({\n  mesh: { tp: 4 },\n  parallelize(model, { tp }) {\n  },\n});`;
    assert.equal(lensLine(src), 3);
    assert.equal(lensLine(`export default simulation({\n  plan: { "h.*": "colwise" },\n});`), 1);
    assert.equal(lensLine(`export default simulation({ mesh: {} });`), 0);
    assert.equal(lensLine('const x = 1;'), undefined);
  });
});
