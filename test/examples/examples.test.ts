import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from '../../src/runner/run-script.js';
import { installSourceMaps } from '../../src/runner/sourcemaps.js';
import type { Report } from '../../src/report/types.js';

const EX = join(__dirname, '..', '..', 'examples');

/** 1-based line of the first line of an example containing `text`. */
function line(file: string, text: string): number {
  const i = readFileSync(join(EX, file), 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} not in ${file}`);
  return i + 1;
}

async function run(file: string): Promise<Report> {
  return runScript(join(EX, file), {});
}

before(() => installSourceMaps());

describe('shipped examples, run as a person runs them', () => {
  for (const f of ['ffn_tp4.ts', 'custom_layers.ts', 'gpt2_by_hand_tp2.ts', 'gpt2_plan_tp4.ts', 'llama_gqa_tp2.ts', 'gpt2_pp2_tp2.ts', 'pipeline_stage_edges.ts', 'pipeline_seed_train.ts']) {
    test(`${f} runs clean and verifies${f.startsWith('pipeline') ? ' (against the program at world size 1)' : ''}`, async () => {
      const r = await run(f);
      assert.equal(r.errors.length, 0, JSON.stringify(r.errors, null, 1));
      assert.equal(r.exitCode, 0, JSON.stringify(r.verification.firstDivergence));
      assert.equal(r.verification.passed, true);
      assert.equal(r.verification.skipped, undefined);
    });
  }

  test('ffn_bias_bug.ts: divergence at fc2, at the line that adds the bias', async () => {
    const r = await run('ffn_bias_bug.ts');
    assert.equal(r.exitCode, 1);
    const d = r.verification.firstDivergence!;
    assert.equal(d.where, 'fc2');
    assert.match(d.message, /bias is added on each of 4 ranks before the all-reduce/);
    assert.equal(d.source?.line, line('ffn_bias_bug.ts', 'BUG: bias before the sum'));
    assert.ok(d.source?.file.endsWith('examples/ffn_bias_bug.ts'));
  });

  test('ffn_gather_batch_dim.ts: the gather along dim 0 is named, at its line', async () => {
    const r = await run('ffn_gather_batch_dim.ts');
    assert.notEqual(r.exitCode, 0);
    const d = r.verification.firstDivergence!;
    assert.equal(d.where, 'fc1');
    assert.match(d.message, /concatenated along dim 0 \(batch\).*gather along dim 2/);
    assert.equal(d.source?.line, line('ffn_gather_batch_dim.ts', "BUG: the seed's batch dim"));
  });

  test('ffn_missing_allreduce.ts: partial sums at fc2', async () => {
    const r = await run('ffn_missing_allreduce.ts');
    assert.equal(r.exitCode, 1);
    const d = r.verification.firstDivergence!;
    assert.equal(d.where, 'fc2');
    assert.match(d.message, /partial sum/);
    assert.equal(d.source?.line, line('ffn_missing_allreduce.ts', 'BUG: no all-reduce'));
  });

  test('gpt2_naive_qkv.ts: wrong numbers after the attention, pointing at the contiguous split', async () => {
    const r = await run('gpt2_naive_qkv.ts');
    assert.equal(r.exitCode, 1);
    const d = r.verification.firstDivergence!;
    assert.match(d.message, /splitFused\(3, tp\)/);
    assert.equal(d.source?.line, line('gpt2_naive_qkv.ts', 'BUG: contiguous split'));
  });

  test('llama_gqa_tp4_error.ts: refused before running, at the plan line for k_proj', async () => {
    const r = await run('llama_gqa_tp4_error.ts');
    assert.equal(r.exitCode, 2);
    assert.match(r.errors[0].message, /the 2 kv heads do not divide among tp=4/);
    assert.equal(r.errors[0].source?.line, line('llama_gqa_tp4_error.ts', "self_attn.k_proj'"));
  });

  test('pipeline_seed_bug.ts: the stage-number-as-rank mistake is reported plainly', async () => {
    const r = await run('pipeline_seed_bug.ts');
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    assert.match(e.message, /rank 1: a send to itself/);
    assert.match(e.fix ?? '', /pp-axis neighbour/);
    assert.equal(e.ranks[0].source?.line, line('pipeline_seed_bug.ts', 'await rank.comm.send(hidden, stageNum + 1)'));
  });

  test('pipeline_stage_edges.ts: activations go between pp neighbours only', async () => {
    const r = await run('pipeline_stage_edges.ts');
    const p2p = r.collectives.filter((c) => c.op === 'send_recv').map((c) => c.ranks.join('→'));
    assert.deepEqual(p2p.sort(), ['0→2', '1→3']);
  });

  test('gpt2_pp2_tp2.ts: two stages, 1F1B bubble beside (p−1)/m = 1/4', async () => {
    const r = await run('gpt2_pp2_tp2.ts');
    assert.deepEqual(r.stages.map((s) => s.layers), [['embed', 'h.0', 'h.1'], ['h.2', 'h.3', 'head']]);
    assert.equal(r.pipeline?.bubbleFormula, 0.25);
    assert.ok(r.pipeline!.bubbleMeasured > 0.2, `measured bubble ${r.pipeline!.bubbleMeasured}`);
  });
});
