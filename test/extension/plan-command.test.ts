import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { activate } from '../../src/extension/extension.js';
import { COMMANDS } from '../../src/extension/ids.js';
import { PLAN_CHANNEL } from '../../src/extension/plan-command.js';
import type { HostMessage } from '../../src/protocol.js';
import { FakeRunner } from './helpers/fake-runner.js';
import * as vscode from './helpers/vscode-fake.js';

const root = path.resolve(__dirname, '../..');

function start() {
  vscode.reset();
  const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: vscode.Uri.file(root), globalStorageUri: vscode.Uri.file('/tmp/autodist-storage') };
  const api = activate(context as never, new FakeRunner());
  return { context, api };
}

const channel = () => vscode.state.channels.find((c) => c.name === PLAN_CHANNEL)!;

describe('AutoDist: Plan Parallelism', () => {
  beforeEach(() => vscode.reset());

  test('writes the ranked table and the failures, and simulates the picked plan into the panel', async () => {
    const { api } = start();
    // model, GPU count, GPU preset, seq, global batch, then plan #1
    vscode.state.answers.push(0 /* llama-3-8b */, '16', 0 /* h100 */, '2048', '32', 0);
    await vscode.commands.executeCommand(COMMANDS.plan);
    assert.deepEqual(vscode.state.messages.filter((m) => m.level === 'error'), []);

    const out = channel();
    assert.ok(out.shown > 0, 'the output channel is shown');
    const text = out.lines.join('\n');
    const head = text.split('\n').find((l) => /^\s*#\s+tp\s+pp\s+dp\b/.test(l));
    assert.ok(head, `a table with tp and pp columns:\n${text}`);
    assert.match(text, /llama-3-8b/);
    assert.match(text, /Why the other|Every plan examined fits/);

    // row #1 of the table
    const row1 = text.split('\n')[text.split('\n').indexOf(head!) + 1].trim().split(/\s+/);
    assert.equal(row1[0], '1');
    const [tp, pp, dp] = row1.slice(1, 4).map(Number);

    const done = api.last;
    assert.ok(done, 'a finished run');
    assert.equal(done.report.mesh.worldSize, tp * pp * dp);
    assert.equal(done.report.mesh.worldSize, 16);
    assert.equal(done.run.name, 'plan #1: llama-3-8b');
    assert.equal(done.run.mode, 'meta');
    const posted = vscode.state.panels[0].webview.posted as HostMessage[];
    assert.ok(posted.some((m) => m.type === 'runFinished' && m.run.name === 'plan #1: llama-3-8b'));
  });

  test('the top plans go to the Compare tab, each simulated in meta mode', async () => {
    const { api } = start();
    let labels: string[] = [];
    const pickCompare = (items: { label: string }[]) => ((labels = items.map((i) => i.label)), items.find((i) => /Compare the top/.test(i.label)));
    vscode.state.answers.push(0 /* llama-3-8b */, '16', 0 /* h100 */, '2048', '32', pickCompare);
    await vscode.commands.executeCommand(COMMANDS.plan);
    assert.deepEqual(vscode.state.messages.filter((m) => m.level === 'error'), []);
    assert.match(labels[0], /^#1 /, 'the plans come first, the comparison last');
    assert.match(labels.at(-1)!, /Compare the top 3 side by side/);
    const posted = vscode.state.panels[0].webview.posted as HostMessage[];
    const h = posted.filter((m): m is Extract<HostMessage, { type: 'history' }> => m.type === 'history').at(-1)!;
    assert.equal(h.select?.length, 3);
    const runs = h.select!.map((k) => h.runs.find((e) => e.key === k)!);
    assert.deepEqual(runs.map((e) => e.name), ['plan #1: llama-3-8b', 'plan #2: llama-3-8b', 'plan #3: llama-3-8b']);
    for (const e of runs) assert.equal(e.summary.mode, 'meta');
    assert.ok(runs.every((e) => e.summary.totalWire > 0), 'each plan moved bytes');
    assert.deepEqual(posted.at(-1), { type: 'showTab', tab: 'compare' });
    assert.equal(api.last, undefined, 'compared plans do not replace the panel\'s run');
  });

  test('bad input ends in an error message with the planner’s reason, not a throw', async () => {
    start();
    // 12 GPUs do not fill whole nodes of 8
    vscode.state.answers.push(0, '12', 0, '2048', '32');
    await vscode.commands.executeCommand(COMMANDS.plan);
    const errors = vscode.state.messages.filter((m) => m.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0].text, /12 GPUs do not fill whole nodes of 8/);
  });

  test('an invalid number is refused, a dismissed prompt ends quietly', async () => {
    start();
    vscode.state.answers.push(0, 'lots');
    await vscode.commands.executeCommand(COMMANDS.plan);
    assert.match(vscode.state.messages.at(-1)!.text, /GPU count must be a whole number/);
    vscode.state.messages.length = 0;
    vscode.state.answers.push(0, undefined);
    await vscode.commands.executeCommand(COMMANDS.plan);
    assert.deepEqual(vscode.state.messages, []);
  });

  test('an HF config.json from the file dialog', async () => {
    start();
    const file = '/tmp/autodist-plan-test/tiny-llama/config.json';
    const cfg = { model_type: 'llama', hidden_size: 1024, intermediate_size: 2816, num_hidden_layers: 8, num_attention_heads: 16, num_key_value_heads: 4, vocab_size: 32000, max_position_embeddings: 4096, rms_norm_eps: 1e-5 };
    vscode.state.files.set(path.resolve(file), new TextEncoder().encode(JSON.stringify(cfg)));
    vscode.state.answers.push(4 /* HF config.json… */, [vscode.Uri.file(file)], '8', 0, '1024', '16', undefined);
    await vscode.commands.executeCommand(COMMANDS.plan);
    assert.deepEqual(vscode.state.messages.filter((m) => m.level === 'error'), []);
    assert.match(channel().lines.join('\n'), /tiny-llama/);
  });
});

describe('the GPU-count input', () => {
  test('takes whole numbers ≥ 1 that fill whole nodes of 8, up to 1,048,576', async () => {
    const { validateGpuCount, MAX_GPUS } = await import('../../src/extension/plan-command.js');
    for (const ok of ['1', '8', '16', ' 512 ', String(MAX_GPUS)]) assert.equal(validateGpuCount(ok), undefined, ok);
    assert.match(validateGpuCount('12')!, /12 GPUs do not fill whole nodes of 8/);
    assert.match(validateGpuCount('0')!, /whole number ≥ 1/);
    assert.match(validateGpuCount('2.5')!, /whole number ≥ 1/);
    assert.match(validateGpuCount('')!, /whole number ≥ 1/);
    assert.match(validateGpuCount(String(MAX_GPUS + 8))!, /at most 1,048,576/);
  });
});
