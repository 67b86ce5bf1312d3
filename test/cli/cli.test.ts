import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ChromeEvent, ChromeTrace } from '../../src/cli/chrome-trace.js';
import type { Report } from '../../src/report/types.js';
import { biasBugScript, ffnScript, lineIn, tempDir, writeScript } from '../runner/helpers/scripts.js';
import { cli, reportValidator } from './helpers/cli.js';

const validate = reportValidator();

function assertValid(report: unknown): void {
  assert.ok(validate(report), JSON.stringify(validate.errors?.slice(0, 5), null, 1));
}

describe('autodist simulate (end to end)', { concurrency: 2 }, () => {
  test('exit 0: summary, --json valid against the schema, --trace for Perfetto, --html self-contained', async () => {
    const dir = tempDir();
    const text = ffnScript();
    const script = writeScript(dir, 'ffn_tp2.ts', text);
    const [json, trace, html] = ['r.json', 't.json', 'out/r.html'].map((f) => path.join(dir, f));
    const r = await cli(['simulate', script, '--json', json, '--trace', trace, '--html', html]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ VERIFIED against the unsharded model/);
    assert.match(r.stdout, /Mesh {4}pp=1 × dp=1 × tp=2 = 2 ranks/);
    assert.match(r.stdout, new RegExp(`fc1 +weight +0-1 +\\[64, 256\\] +→ +\\[64, 128\\] +Shard\\(1\\) +ColumnParallelLinear +.*ffn_tp2\\.ts:${lineIn(text, '// FC1')}`));
    assert.match(r.stdout, new RegExp(`all_reduce +tp +forward +fc2 +1,024 floats \\(4\\.0 KiB\\) .*ffn_tp2\\.ts:${lineIn(text, '// FC2')}`));
    assert.match(r.stdout, /totals by phase/);
    assert.match(r.stderr, /autodist: sharded +100%/, 'plain progress lines when stderr is not a terminal');

    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assertValid(report);
    assert.equal(report.exitCode, 0);

    const t = JSON.parse(readFileSync(trace, 'utf8')) as ChromeTrace;
    const names = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name');
    assert.deepEqual(names.map((e) => [e.pid, (e.args as { name: string }).name]), [[0, 'rank 0 (dp=0, pp=0, tp=0)'], [1, 'rank 1 (dp=0, pp=0, tp=1)']]);
    const slices = t.traceEvents.filter((e) => e.ph === 'X');
    assert.deepEqual(new Set(slices.map((e) => e.pid)), new Set([0, 1]), 'one process per rank');
    assert.ok(slices.some((e) => e.tid === 1) && slices.some((e) => e.tid === 2), 'compute and communication on their own tracks');
    const flows = t.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f');
    assert.equal(flows.length, 2 * report.collectives.length, 'one s→f flow per collective of two ranks');
    for (const s of flows.filter((e) => e.ph === 's')) {
      const f = flows.find((e) => e.ph === 'f' && e.id === s.id) as ChromeEvent;
      assert.ok(f, `flow ${s.id} ends`);
      assert.notEqual(f.pid, s.pid, 'a flow links two ranks');
      assert.equal(f.bp, 'e');
    }

    const page = readFileSync(html, 'utf8');
    assert.doesNotMatch(page, /https?:\/\//, 'no external URL');
    assert.doesNotMatch(page, /<link\b|<script[^>]+src=|<img\b/i, 'nothing loaded from outside');
    assert.match(page, /<span class="badge ok" id="verdict">VERIFIED<\/span>/);
    for (const id of ['overview', 'shards', 'traffic', 'timeline', 'verification']) assert.match(page, new RegExp(`<section id="${id}">`));
    assert.match(page, /<svg class="timeline"/);
  });

  test('exit 1: verification fails, the divergence is printed at its line; the report is valid', async () => {
    const dir = tempDir();
    const text = biasBugScript();
    const script = writeScript(dir, 'bias.ts', text);
    const json = path.join(dir, 'r.json');
    const html = path.join(dir, 'r.html');
    const r = await cli(['simulate', script, '--json', json, '--html', html, '--quiet']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, '', '--quiet: no progress');
    assert.match(r.stdout, /✗ NOT VERIFIED: output of fc2 differs/);
    assert.match(r.stdout, new RegExp(`bias\\.ts:${lineIn(text, '// FC2')}`));
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assertValid(report);
    assert.equal(report.exitCode, 1);
    assert.match(readFileSync(html, 'utf8'), /NOT VERIFIED[\s\S]*First divergence/);
  });

  test('exit 2: a syntax error at its file:line, and a valid failure report', async () => {
    const dir = tempDir();
    const script = writeScript(dir, 'broken.ts', 'import { simulation } from "autodist";\nexport default simulation({\n  mesh: { tp: 2 }\n  model: 1,\n});\n');
    const json = path.join(dir, 'r.json');
    const r = await cli(['simulate', script, '--json', json, '--quiet']);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /✗ ERROR {2}syntax error in broken\.ts: Unexpected token.* at .*broken\.ts:4:\d+/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assertValid(report);
    assert.equal(report.errors[0].kind, 'syntax');
  });

  test('exit 2: an unknown mesh axis on the command line; usage errors', async () => {
    const script = writeScript(tempDir(), 'ffn.ts', ffnScript());
    const r = await cli(['simulate', script, '--mesh', 'zz=2', '--quiet']);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /unknown mesh axis "zz"/);
    const bad = await cli(['simulate', script, '--mesh', 'tp']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--mesh: "tp" is not axis=size/);
    const unknown = await cli(['simulate', script, '--frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option --frobnicate/);
  });

  test('--meta on a dp × tp mesh: flows link the members of every group, one pid per rank', async () => {
    const dir = tempDir();
    const script = writeScript(dir, 'ffn.ts', ffnScript());
    const trace = path.join(dir, 't.json');
    const json = path.join(dir, 'r.json');
    const r = await cli(['simulate', script, '--meta', '--mesh', 'dp=2,tp=2', '--hardware', 'a100', '--algorithm', 'tree', '--trace', trace, '--json', json, '--quiet']);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /not verified: meta mode has shapes only/);
    assert.match(r.stdout, /A100/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assertValid(report);
    assert.equal(report.hardware.id, 'a100-80gb');
    assert.ok(report.collectives.filter((c) => c.axis === 'tp').every((c) => c.algorithm === 'tree'), '--algorithm reaches the cost model');
    const t = JSON.parse(readFileSync(trace, 'utf8')) as ChromeTrace;
    const procs = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => (e.args as { name: string }).name);
    assert.deepEqual(procs, ['rank 0 (dp=0, pp=0, tp=0)', 'rank 1 (dp=0, pp=0, tp=1)', 'rank 2 (dp=1, pp=0, tp=0)', 'rank 3 (dp=1, pp=0, tp=1)']);
    const starts = t.traceEvents.filter((e) => e.ph === 's');
    const linked = new Set(starts.map((s) => `${s.pid}->${t.traceEvents.find((f) => f.ph === 'f' && f.id === s.id)!.pid}`));
    assert.ok(linked.has('0->1') && linked.has('2->3'), `tp groups linked: ${[...linked].join(' ')}`);
  });
});
