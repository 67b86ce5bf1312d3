import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { Report } from '../../src/report/types.js';
import { tempDir, writeScript } from '../runner/helpers/scripts.js';
import { summarize } from '../../src/cli/summary.js';
import { cli, ROOT } from './helpers/cli.js';

const MiB = 1024 * 1024;
const example = (f: string) => path.join(ROOT, 'examples', 'ffn_strategies', f);

/**
 * Seed 003 §3 by hand: B=8, S=128, d=1024, 4d=4096, tp=4, float32 (4 B).
 *   X, Z [8, 128, 1024] = 1,048,576 floats = 4 MiB;  Y [8, 128, 4096] = 16 MiB.
 *   Ring all-reduce of N bytes over p=4: each rank sends 2(p−1)/p·N, all ranks 2(p−1)·N = 6N.
 *   Ring all-gather to N bytes: each rank sends (p−1)/p·N, all ranks (p−1)·N = 3N.
 * Col+Row: fwd all-reduce Z (6·4 = 24 MiB), bwd all-reduce dX (24 MiB)               =  48 MiB.
 * Row+Row: fwd all-reduce Y (6·16 = 96) and Z (24); bwd all-gather of dY, the split
 *          input of fc2 (3·16 = 48), and of dX, the split input of fc1 (3·4 = 12)     = 180 MiB.
 * Col+Col: fwd all-gather Y (48) and Z (12); bwd all-reduce dY (96) and dX (24)        = 180 MiB.
 */
const WIRE = { 'col_row.ts': 48 * MiB, 'row_row.ts': 180 * MiB, 'col_col.ts': 180 * MiB };

describe('autodist compare', () => {
  test('the FFN strategies of seed 003 §3: wire bytes by hand, every verdict, --json in order, --html', async () => {
    const dir = tempDir();
    const files = ['col_row.ts', 'row_row.ts', 'col_col.ts', 'col_all_to_all.ts'];
    const [json, html] = [path.join(dir, 'c.json'), path.join(dir, 'c.html')];
    const r = await cli(['compare', ...files.map(example), '--json', json, '--html', html, '--quiet']);
    assert.equal(r.code, 1, 'the all-to-all attempt does not verify: the worst exit code ' + r.stdout + r.stderr);

    const { runs } = JSON.parse(readFileSync(json, 'utf8')) as { runs: Report[] };
    const schema = (f: string) => JSON.parse(readFileSync(path.join(ROOT, 'docs', f), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: true }).addSchema(schema('report.schema.json')).compile(schema('compare.schema.json'));
    assert.ok(validate({ runs }), JSON.stringify(validate.errors?.slice(0, 5), null, 1));
    assert.deepEqual(runs.map((x) => path.basename(x.script!)), files, 'in the order given');
    for (const [f, wire] of Object.entries(WIRE)) {
      const run = runs[files.indexOf(f)];
      assert.equal(run.traffic.totalWireBytes, wire, f);
      assert.equal(run.exitCode, 0, `${f} verifies`);
      assert.equal(run.verification.passed, true, f);
    }
    const a2a = runs[3];
    assert.equal(a2a.exitCode, 1);
    assert.equal(a2a.verification.passed, false);
    assert.ok(a2a.collectives.some((c) => c.op === 'all_to_all'), 'it did its all-to-all');

    // the table: a column per run, the verdicts, the wire totals, ★ on the best (Col+Row) only
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => l.includes('col_row.ts'))!;
    assert.ok(files.every((f, i) => header.indexOf(f) > (i ? header.indexOf(files[i - 1]) : 0)), header);
    const rowOf = (label: string) => lines.find((l) => l.trimStart().startsWith(label))!;
    assert.match(rowOf('verdict'), /★ verified +★ verified +★ verified +NOT VERIFIED/);
    assert.match(rowOf('total wire'), /★ 48\.0 MiB +180\.0 MiB +180\.0 MiB +87\.0 MiB/);
    assert.match(rowOf('first divergence'), /none +none +none +fc2 \(output/);
    assert.match(r.stdout, /all_reduce · forward +1 call +2 calls +none +none/);

    // simulate's summary of Col+Row writes the numbers as seed 003 §2 does: X is 8·128·1024 =
    // 1,048,576 floats; a ring all-reduce sends 6 × 1,048,576 / 4 = 1,572,864 floats from each
    // rank and 4 × 1,572,864 = 6,291,456 floats in all; Yᵢ is [8, 128, 4096 / 4] on each rank.
    const text = summarize(runs[0]);
    assert.match(text, /all_reduce +tp +forward +fc2 +1,048,576 floats \(4\.0 MiB\) +1,572,864 floats \(6\.0 MiB\) +ring +6,291,456 floats \(24\.0 MiB\)/);
    assert.match(text, /sent per rank/);
    assert.match(text, /fc1 +0-3 +\[8, 128, 1024\] +\[8, 128, 4096\] +ColumnParallelLinear/);

    const page = readFileSync(html, 'utf8');
    assert.doesNotMatch(page, /https?:\/\/(?!www\.w3\.org)/, 'self-contained');
    for (const f of files) assert.match(page, new RegExp(`<th>${f.replace('.', '\\.')}</th>`));
    assert.match(page, /<td class="num best">★ 48\.0 MiB<\/td>/);
  });

  test('a failing run keeps its column with what it recorded', async () => {
    const dir = tempDir();
    const ok = example('col_row.ts');
    const bad = writeScript(dir, 'broken.ts', "import { simulation, models } from 'autodist';\nexport default simulation({ mesh: { tp: 3 }, model: models.ffn({ hidden: 64 }), input: { batch: 2, seq: 4 }, plan: { fc1: 'colwise', fc2: 'rowwise' } });\n");
    const json = path.join(dir, 'c.json');
    const r = await cli(['compare', ok, bad, '--meta', '--json', json, '--quiet']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const { runs } = JSON.parse(readFileSync(json, 'utf8')) as { runs: Report[] };
    assert.equal(runs.length, 2);
    assert.equal(runs[1].exitCode, 2);
    assert.ok(runs[1].errors.length > 0);
    assert.match(r.stdout.split('\n').find((l) => l.trimStart().startsWith('verdict'))!, /ran, not verified +error: /);
  });

  test('usage: one script is not a comparison', async () => {
    const r = await cli(['compare', example('col_row.ts')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /compare needs two scripts or more/);
  });
});
