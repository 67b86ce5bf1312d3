import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, beforeEach, describe, test } from 'node:test';
import { activate } from '../../src/extension/extension.js';
import { COMMANDS } from '../../src/extension/ids.js';
import { HISTORY_KEY, HISTORY_MAX, RunHistory, memoryStore } from '../../src/extension/run-history.js';
import type { HistoryEntry, HostMessage } from '../../src/protocol.js';
import { latestChange, summarizeRun as summaryOf } from '../../src/report/compare.js';
import type { Report } from '../../src/report/types.js';
import { FakeRunner, tick } from './helpers/fake-runner.js';
import { BIAS_BUG, EXAMPLE, biasBug, seedMeta } from './helpers/reports.js';
import * as vscode from './helpers/vscode-fake.js';

const root = path.resolve(__dirname, '../..');
const MiB = 2 ** 20;
let seed: Report;
let bias: Report;
before(async () => {
  seed = (await seedMeta()).report;
  bias = (await biasBug()).report;
});

/** A workspace storage that outlives one activation (VS Code keeps it across window reloads). */
function workspaceState() {
  const data = new Map<string, unknown>();
  return { data, get: <T>(k: string) => data.get(k) as T | undefined, update: async (k: string, v: unknown) => void data.set(k, JSON.parse(JSON.stringify(v))), keys: () => [...data.keys()] };
}

function start(state: ReturnType<typeof workspaceState>) {
  vscode.reset();
  const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: vscode.Uri.file(root), globalStorageUri: vscode.Uri.file('/tmp/autodist-storage'), workspaceState: state };
  const runner = new FakeRunner();
  activate(context as never, runner);
  return { context, runner };
}

/** Runs `script` with the fake runner, which answers with `report`. */
async function run(s: ReturnType<typeof start>, script: string, report: Report) {
  const before = s.runner.runs.length;
  const p = vscode.commands.executeCommand(COMMANDS.simulate, vscode.Uri.file(script));
  for (let i = 0; i < 20 && s.runner.runs.length === before; i++) await tick();
  s.runner.runs.at(-1)!.finish(report);
  await p;
  for (let i = 0; i < 5; i++) await tick();
}

const posted = () => (vscode.state.panels.at(-1)?.webview.posted ?? []) as HostMessage[];
const lastHistory = () => posted().filter((m): m is Extract<HostMessage, { type: 'history' }> => m.type === 'history').at(-1);

describe('run history and the Compare tab', () => {
  beforeEach(() => vscode.reset());

  test('finished runs are kept in the workspace storage, newest first, and survive a reload of the extension', async () => {
    const ws = workspaceState();
    const s = start(ws);
    await run(s, EXAMPLE, seed);
    await run(s, BIAS_BUG, bias);
    const h = lastHistory();
    assert.ok(h, 'the panel hears of the history');
    assert.deepEqual(h.runs.map((e) => path.basename(e.summary.script)), ['bias-bug.ts', 'ffn_tp4.ts']);
    assert.equal(h.runs[1].summary.totalWire, seed.traffic.totalWireBytes);
    assert.equal(h.runs[0].summary.verdict, 'not verified');
    assert.ok(ws.keys().includes(HISTORY_KEY));

    // reload: a new activation over the same storage; a fresh page says ready and gets the history
    for (const d of s.context.subscriptions) d.dispose();
    start(ws);
    await vscode.commands.executeCommand(COMMANDS.showPanel);
    vscode.state.panels.at(-1)!.webview.send({ type: 'ready', runId: null });
    await tick();
    const again = lastHistory();
    assert.ok(again, 'replayed to the new page');
    assert.deepEqual(again.runs, h.runs);
  });

  test('bounded: the oldest runs go past the limit', async () => {
    const h = new RunHistory(memoryStore());
    for (let i = 0; i < HISTORY_MAX + 5; i++) void h.add(`run ${i}`, seed, 1000 + i);
    await h.settled;
    const e = h.entries();
    assert.equal(e.length, HISTORY_MAX);
    assert.equal(e[0].name, `run ${HISTORY_MAX + 4}`, 'newest first, none lost to concurrent adds');
    assert.equal(e.at(-1)!.name, 'run 5');
    assert.equal(new Set(e.map((x) => x.key)).size, HISTORY_MAX, 'unique keys');
  });

  test('"Compare Scripts…" runs the picked scripts one after another and shows them in the Compare tab', async () => {
    const s = start(workspaceState());
    vscode.state.answers.push([vscode.Uri.file(EXAMPLE), vscode.Uri.file(BIAS_BUG)]);
    const p = vscode.commands.executeCommand(COMMANDS.compareScripts);
    for (const report of [seed, bias]) {
      const n = s.runner.runs.length;
      for (let i = 0; i < 50 && s.runner.runs.length === n; i++) await tick();
      assert.equal(s.runner.runs.length, n + 1, 'the next script starts once the previous one has finished');
      s.runner.runs.at(-1)!.finish(report);
    }
    await p;
    assert.deepEqual(s.runner.runs.map((r) => path.basename(r.req.script)), ['ffn_tp4.ts', 'bias-bug.ts']);
    const h = lastHistory()!;
    assert.equal(h.select?.length, 2);
    assert.deepEqual(h.select, [h.runs[1].key, h.runs[0].key], 'the two runs, in the order they ran');
    assert.deepEqual(posted().at(-1), { type: 'showTab', tab: 'compare' });
  });

  test('the latest run against the previous run of the same file, in words', () => {
    const entry = (key: string, r: Report, wire: number, step: number): HistoryEntry => {
      return { key, name: 'ffn.ts', finishedAt: 1, summary: { ...summaryOf(r), script: '/w/ffn.ts', totalWire: wire, stepUs: step } };
    };
    const before = entry('a', bias, 180 * MiB, 519.2); // not verified
    const other = { ...entry('b', seed, 1, 1), summary: { ...summaryOf(seed), script: '/w/other.ts' } };
    const after = { ...entry('c', bias, 48 * MiB, 478.2), summary: { ...entry('c', bias, 48 * MiB, 478.2).summary, verdict: 'verified' as const } };
    const change = latestChange([after, other, before]);
    assert.ok(change);
    assert.equal(change.previous.key, 'a', 'skips the run of another file');
    assert.equal(change.text, 'wire −132.0 MiB, step −41.0 µs, now verified');
    assert.equal(latestChange([after, other]), null);
  });
});

