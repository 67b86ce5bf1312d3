import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planCommand } from '../../src/cli/plan-command.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await planCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

const LLAMA70 = ['--model', 'llama-3-70b', '--gpus', '512', '--gpu', 'h100', '--seq', '8192', '--global-batch', '1024'];

test('autodist plan prints the ranked table, the breakdowns and the failure summary', async () => {
  const r = await run('plan', ...LLAMA70, '--top', '5');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /#\s+tp\s+(cp\s+)?pp\s+dp\s+mb\s+schedule\s+SP\s+recompute\s+ZeRO\s+memory\/GPU\s+step\s+tokens\/s\s+MFU\s+MFU \(6ND\)/);
  assert.equal(r.out.split('\n').filter((l) => /^\s+[1-5](\s+\d+){4,5}\s+(1F1B|interleaved)/.test(l)).length, 5);
  assert.match(r.out, /Breakdowns/);
  assert.match(r.out, /tp=16 > 8 GPUs per node/);
  assert.match(r.out, /out of memory: short by/);
});

test('--json writes every fitting plan with its breakdowns and the failures', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'plan-')), 'plan.json');
  const r = await run(...LLAMA70, '--json', file);
  assert.equal(r.code, 0);
  const j = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(j.model.id, 'llama-3-70b');
  assert.equal(j.shown.length, 10);
  assert.equal(j.ranked.length, j.fitting);
  assert.ok(j.ranked[0].memory.peak.total > 0 && j.ranked[0].time.stepUs > 0);
  assert.ok(j.failures.some((g: { kind: string }) => g.kind === 'tp-node'));
});

test('a config.json works as --model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ model_type: 'llama', num_hidden_layers: 16, hidden_size: 2048, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 8192, vocab_size: 128256, tie_word_embeddings: true }));
  const r = await run('--model', file, '--gpus', '8', '--seq', '4096', '--global-batch', '64', '--top', '3');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /1\.2B parameters, 16 layers/);
});

test('bad input exits 2 and says what to change', async () => {
  const cases: [string[], RegExp][] = [
    [['--gpus', '512', '--seq', '8192', '--global-batch', '1024'], /--model is required/],
    [['--model', 'llama-3-70b', '--seq', '8192', '--global-batch', '1024'], /--gpus is required/],
    [['--model', 'llama-9', ...LLAMA70.slice(2)], /unknown model "llama-9": use one of llama-3-8b/],
    [[...LLAMA70, '--gpus-per-node', 'x'], /--gpus-per-node must be a whole number/],
    [['--model', 'llama-3-70b', '--gpus', '500', '--seq', '8192', '--global-batch', '1024'], /500 GPUs do not fill whole nodes of 8/],
    [[...LLAMA70, '--attention', 'paged'], /--attention must be flash or unfused/],
    [[...LLAMA70, '--bogus'], /unknown option --bogus/],
    [['--model', '/nonexistent/config.json', '--gpus', '8', '--seq', '1', '--global-batch', '1'], /cannot read/],
    [[...LLAMA70, '--open', '99'], /--open 99, but the table has 10 rows/],
  ];
  for (const [argv, re] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')} → ${r.code}`);
    assert.match(r.err, re, argv.join(' '));
  }
});

test('no plan fits: exit 1 with the reasons', async () => {
  const r = await run('--model', 'llama-3-70b', '--gpus', '8', '--seq', '8192', '--global-batch', '8');
  assert.equal(r.code, 1);
  assert.match(r.out, /No plan fits/);
  assert.match(r.out, /out of memory/);
});

test('--open N simulates row N in meta mode and prints its summary beside the estimate', async () => {
  const r = await run('--model', 'llama-3-8b', '--gpus', '16', '--seq', '2048', '--global-batch', '32', '--top', '3', '--open', '1');
  assert.equal(r.code, 0, r.err + r.out.slice(-2000));
  assert.match(r.out, /Simulating #1 in meta mode/);
  assert.match(r.out, /meta mode/);
  assert.match(r.out, /Planner vs meta simulation \(#1\):/);
  assert.match(r.out, /step time\s+[\d.]+ m?s\s+[\d.]+ m?s\s+[\d.]+ m?s\s+[\d.]+×/);
  assert.match(r.out, /peak memory \/ GPU\s+[\d.]+ GiB\s+[\d.]+ GiB\s+[\d.]+ GiB\s+[\d.]+×/);
});

const LLAMA405 = ['--model', 'llama-3-405b', '--gpus', '16384', '--seq', '8192', '--global-batch', '2048'];
const META_LAYOUT = ['--tp', '8', '--pp', '16', '--dp', '128', '--vpp', '8', '--mb', '1', '--sp', 'on', '--zero', '1'];

test('a forced layout evaluates exactly that plan: --json keeps ranked[].plan, .time.stepUs/.mfu/.hardwareFlops, .memory.peak.total/.fits', async () => {
  const r = await run(...LLAMA405, ...META_LAYOUT, '--recompute', 'full', '--json', '-');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /Held fixed: tp=8 pp=16 dp=128 v=8 mb=1 SP on recompute=full ZeRO-1 — exactly one plan\./);
  assert.match(r.err, /uneven stages .*stages 0 and 15 hold 7 layers, the others 8/);
  const j = JSON.parse(r.out);
  assert.equal(j.examined, 1);
  assert.equal(j.ranked.length, 1);
  const e = j.ranked[0];
  assert.deepEqual({ tp: e.plan.tp, pp: e.plan.pp, dp: e.plan.dp, v: e.plan.virtual, mb: e.plan.microBatch, sp: e.plan.sequenceParallel, rc: e.plan.recompute, zero: e.plan.zero }, { tp: 8, pp: 16, dp: 128, v: 8, mb: 1, sp: true, rc: 'full', zero: 1 });
  assert.equal(e.plan.schedule, 'Interleaved1F1B');
  assert.ok(e.time.stepUs > 0 && e.time.mfu > 0 && e.time.hardwareFlops > e.time.modelFlops);
  assert.ok(e.memory.peak.total > 0 && e.memory.fits === true);
  assert.deepEqual(j.fixed, { tp: 8, pp: 16, dp: 128, virtual: 8, microBatch: 1, sequenceParallel: true, recompute: 'full', zero: 1 });
});

test('a forced layout that cannot run says why (exit 1)', async () => {
  const wide = await run(...LLAMA405, '--tp', '16', '--pp', '16', '--dp', '64', '--mb', '1', '--vpp', '1', '--sp', 'on', '--recompute', 'none', '--zero', '1');
  assert.equal(wide.code, 1);
  assert.match(wide.out, /This layout cannot run: tp=16 > 8 GPUs per node\./);
  const short = await run(...LLAMA405, '--tp', '8', '--pp', '16', '--dp', '64', '--mb', '1', '--vpp', '1', '--sp', 'on', '--recompute', 'none', '--zero', '1');
  assert.match(short.out, /This layout cannot run: tp×pp×dp = 8×16×64 = 8192, not the 16384 GPUs\./);
  const oom = await run(...LLAMA405, '--tp', '8', '--pp', '16', '--dp', '128', '--mb', '1', '--vpp', '1', '--sp', 'off', '--recompute', 'none', '--zero', '0');
  assert.equal(oom.code, 1);
  assert.match(oom.out, /This layout cannot run: out of memory by [\d.]+ GiB per GPU\.\nWith the memory, a step would take [\d.]+ m?s \(MFU [\d.]+ %\)\./);
});

test('layout flags given in part hold those dimensions and search the rest', async () => {
  const r = await run(...LLAMA70, '--tp', '8', '--pp', '4', '--json', '-');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.ok(j.ranked.length > 1);
  assert.ok(j.ranked.every((e: { plan: { tp: number; pp: number } }) => e.plan.tp === 8 && e.plan.pp === 4));
});

test('bad layout flags are usage errors (exit 2) that say what to pass', async () => {
  for (const [flag, value, msg] of [['--sp', 'yes', /--sp must be on or off/], ['--zero', '4', /--zero must be 0, 1, 2 or 3/], ['--tp', '0', /--tp must be a whole number ≥ 1/], ['--recompute', 'some', /--recompute must be none or selective or full/]] as const) {
    const r = await run(...LLAMA70, flag, value);
    assert.equal(r.code, 2, `${flag} ${value}`);
    assert.match(r.err, msg);
  }
  const r = await run(...LLAMA70, '--recompute-layers', '2');
  assert.match(r.err, /--recompute-layers needs --recompute full/);
});
