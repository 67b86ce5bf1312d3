import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as path from 'node:path';
import { collectiveSummary, factsOf, fitHint, hintText, hoverMarkdown, lensLine, lensText, MAX_HINT_LENGTH, shardSummary, type LineFacts } from '../../src/extension/hints/line-facts.js';
import type { CollectiveInfo, MeshInfo, ShardInfo } from '../../src/report/types.js';
import { verdictOf } from '../../src/extension/verdict.js';
import type { Report } from '../../src/report/types.js';
import { runScript } from '../../src/runner/run-script.js';
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

  test('column-parallel line: the split, this rank\'s shard shape and the output shape, in 43 characters', () => {
    assert.equal(hintText(fc1, report.mesh), 'tp=4 · W→[1024×1024] · out [8,128,1024]');
  });

  test('row-parallel line: its forward all-reduce, logical size and bytes sent per rank, in 43 characters', () => {
    assert.equal(hintText(fc2, report.mesh), 'all-reduce fwd 4.0 MiB · 6.0 MiB sent/rank');
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

describe('inline hints fit in VS Code\'s default 43 characters (editor.inlayHints.maximumLength)', () => {
  const mesh: MeshInfo = { axes: ['dp', 'pp', 'tp'], sizes: [1, 1, 2], worldSize: 2, coords: [{ dp: 0, pp: 0, tp: 0 }, { dp: 0, pp: 0, tp: 1 }] } as unknown as MeshInfo;
  const shard = (rank: number, globalShape: number[], localShape: number[], module = 'fc1', param = 'weight') => ({ module, param, rank, globalShape, localShape, kind: 'ColumnParallelLinear', placement: 'Shard(1)' }) as unknown as ShardInfo;
  const facts = (over: Partial<LineFacts>): LineFacts => ({ file: 'x.ts', line: 1, shards: [], modules: [], collectives: [], ...over });
  const coll = (op: string, phase: string, bytes: number, sent: number) => ({ op, phase, bytes, sentBytesPerRank: sent, algorithm: 'ring' }) as unknown as CollectiveInfo;

  test('a small layer keeps the global → local shape; a large one keeps the local shard shape', () => {
    const small = facts({ shards: [shard(0, [64, 256], [64, 128]), shard(1, [64, 256], [64, 128])], modules: [{ module: 'fc1', rank: 0, outputShape: [2, 16, 128] } as never] });
    assert.equal(shardSummary(small, mesh), 'tp=2 · W[64×256]→[64×128] · out [2,16,128]');
    const large = facts({ shards: [shard(0, [50304, 12288], [25152, 12288])], modules: [{ module: 'wte', rank: 0, outputShape: [8, 2048, 6144] } as never] });
    assert.equal(shardSummary(large, mesh), 'tp=2 · W→[25152×12288] · out [8,2048,6144]');
    const huge = facts({ shards: [shard(0, [50304, 12288], [25152, 12288])], modules: [{ module: 'wte', rank: 0, outputShape: [1024, 8192, 12288, 4096, 4096] } as never] });
    assert.equal(shardSummary(huge, mesh), 'tp=2 · W→[25152×12288]', 'the output shape goes before the local shard shape');
  });

  test('collectives drop the algorithm, then the bytes sent, then the other kinds', () => {
    assert.equal(collectiveSummary([coll('send', 'forward', 1024, 1024)]), 'send fwd 1.0 KiB · ring 1.0 KiB sent/rank');
    assert.equal(collectiveSummary([coll('all_reduce', 'forward', 1024, 1536)]), 'all-reduce fwd 1.0 KiB · 1.5 KiB sent/rank');
    assert.equal(collectiveSummary([coll('all_reduce', 'forward', 402_653_184, 603_979_776)]), 'all-reduce fwd 384.0 MiB');
    assert.equal(collectiveSummary([coll('all_reduce', 'forward', 4 << 20, 6 << 20), coll('all_gather', 'forward', 4 << 20, 3 << 20)]), 'all-reduce fwd 4.0 MiB + 1 more');
    assert.equal(collectiveSummary([coll('send', 'forward', 1024, 1024), coll('recv', 'forward', 1024, 0)]), 'send fwd 1.0 KiB + recv fwd 1.0 KiB');
  });

  test('whatever is left too long is cut with "…" at 43 characters', () => {
    assert.equal(fitHint(['x'.repeat(60)]), `${'x'.repeat(42)}…`);
    assert.equal(fitHint(['a'.repeat(44), 'b'.repeat(43)]), 'b'.repeat(43));
    assert.equal(fitHint([]), undefined);
  });

  for (const ex of ['examples/gpt2_pp2_tp2.ts', 'examples/gpt2_plan_tp4.ts', 'examples/llama_gqa_tp2.ts', 'examples/custom_layers.ts']) {
    test(`every hint of ${ex} (meta mode) is at most 43 characters`, async () => {
      const file = path.resolve(__dirname, '../..', ex);
      const report = await runScript(file, { mode: 'meta' }); // as the extension's worker runs it
      const texts = [...factsOf(report).values()].flatMap((lines) => [...lines.values()].map((f) => hintText(f, report.mesh) ?? ''));
      assert.ok(texts.some(Boolean), 'the run put hints somewhere');
      const long = texts.filter((t) => t.length > MAX_HINT_LENGTH);
      assert.deepEqual(long, []);
    });
  }
});
