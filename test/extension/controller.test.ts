import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, beforeEach, describe, test } from 'node:test';
import { overallPercent, RunController, type PanelSink } from '../../src/extension/controller.js';
import { ProblemsReporter } from '../../src/extension/diagnostics.js';
import { HintStore } from '../../src/extension/hints/hint-store.js';
import { DEFAULT_SETTINGS } from '../../src/extension/settings.js';
import { StatusItem } from '../../src/extension/status.js';
import type { HostMessage } from '../../src/protocol.js';
import { deadlock, DEADLOCK, EXAMPLE, seedMeta, type Recorded } from './helpers/reports.js';
import { FakeRunner, tick } from './helpers/fake-runner.js';
import * as vscode from './helpers/vscode-fake.js';

let seed: Recorded;
before(async () => {
  seed = await seedMeta();
});

function setup() {
  vscode.reset();
  const posted: HostMessage[] = [];
  let shown = 0;
  const panel: PanelSink = { show: () => void shown++, post: (m) => void posted.push(JSON.parse(JSON.stringify(m))), setTitle: () => {} };
  const runner = new FakeRunner();
  const hints = new HintStore((f) => readFileSync(f, 'utf8'));
  const problems = new ProblemsReporter(() => undefined);
  const status = new StatusItem();
  const c = new RunController({ runner, panel, hints, problems, status, settings: () => ({ settings: DEFAULT_SETTINGS, problems: [] }) });
  return { c, runner, posted, hints, problems, status, shown: () => shown, item: vscode.state.statusItems[0] };
}

describe('a run, from start to report', () => {
  beforeEach(() => vscode.reset());

  test('streams batched live events to the panel, then the report everywhere', async () => {
    const s = setup();
    const done = s.c.simulate(vscode.Uri.file(EXAMPLE) as never, 'meta');
    await tick();
    const run = s.runner.runs[0];
    assert.equal(run.req.script, EXAMPLE);
    assert.equal(run.req.mode, 'meta');
    assert.equal(s.c.running, true);
    run.started({ script: EXAMPLE, backend: 'wasm', mode: 'meta', mesh: { tp: 4 }, model: { name: 'ffn', params: 1, config: {}, layers: ['fc1', 'fc2'] } });
    run.emit(...seed.events);
    // mid-run: a fresh page gets the run so far
    const replay = s.c.replay(null);
    assert.equal(replay[0].type, 'runStarted');
    run.finish(seed.report);
    const finished = await done;
    assert.ok(finished);
    assert.equal(s.c.running, false);

    const types = s.posted.map((m) => m.type);
    assert.equal(types[0], 'runStarted');
    assert.equal(types.at(-1), 'runFinished');
    const batches = s.posted.filter((m) => m.type === 'runEvents');
    assert.ok(batches.length >= 1 && batches.length < seed.events.length / 4, `events are batched (${batches.length} messages for ${seed.events.length} events)`);
    const live = batches.flatMap((m) => (m.type === 'runEvents' ? m.events : []));
    assert.equal(live[0].kind, 'loaded');
    assert.equal(live.filter((e) => e.kind === 'collective').length, 2);
    assert.equal(live.filter((e) => e.kind === 'span').length, seed.events.filter((e) => e.type === 'trace').length);
    const loaded = live[0].kind === 'loaded' ? live[0].mesh : null;
    assert.equal(loaded?.worldSize, 4);

    const fin = s.posted.at(-1)!;
    assert.ok(fin.type === 'runFinished');
    assert.equal(fin.verdict.text, 'shapes and traffic only (meta mode)');
    assert.equal(s.hints.run?.report, seed.report, 'inline hints from this report');
    assert.match(String(s.item.text), /AutoDist: shapes only/);
    assert.equal(s.item.command, 'autodist.showPanel');
    assert.equal(s.shown(), 1);
    // progress: increments add up to at most 100
    const total = vscode.state.progress.reduce((a, p) => a + (p.increment ?? 0), 0);
    assert.ok(total > 90 && total <= 100.0001, String(total));
    // a page that already shows this run needs nothing; a fresh one gets the report
    assert.deepEqual(s.c.replay(finished.run.id), []);
    assert.deepEqual(s.c.replay(null).map((m) => m.type), ['runFinished']);
    // the panel may open the run's files only
    assert.equal(s.c.knows(EXAMPLE), true);
    assert.equal(s.c.knows('/etc/passwd'), false);
  });

  test('a failing run: problems, a warning, the status bar says so', async () => {
    const s = setup();
    const { report } = await deadlock();
    const done = s.c.simulate(vscode.Uri.file(DEADLOCK) as never, 'numeric');
    await tick();
    s.runner.runs[0].finish(report);
    await done;
    assert.match(String(s.item.text), /\$\(error\) AutoDist: failed/);
    assert.equal((s.problems.collection as unknown as vscode.FakeDiagnosticCollection).entries.get(DEADLOCK)?.length, 2);
    assert.ok(vscode.state.messages.some((m) => m.level === 'warning' && /deadlock/.test(m.text)));
  });

  test('Stop cancels the runner; the panel is told, the last report stays', async () => {
    const s = setup();
    const first = s.c.simulate(vscode.Uri.file(EXAMPLE) as never, 'meta');
    await tick();
    s.runner.runs[0].finish(seed.report);
    await first;
    const second = s.c.simulate(vscode.Uri.file(EXAMPLE) as never, 'numeric');
    await tick();
    assert.equal(s.c.stop(), true);
    assert.equal(await second, undefined);
    assert.equal(s.runner.runs[1].cancelled, true);
    const failed = s.posted.at(-1)!;
    assert.deepEqual(failed, { type: 'runFailed', runId: 2, reason: 'cancelled', message: 'the simulation was stopped' });
    assert.equal(vscode.state.messages.filter((m) => m.level === 'error').length, 0, 'no error popup for a stop');
    assert.equal(s.c.last?.report, seed.report, 'export and HTML report still use the last finished run');
    assert.equal(s.c.stop(), false);
    assert.deepEqual(s.c.replay(null).map((m) => m.type), ['runStarted', 'runFailed']);
  });

  test('a new run stops the one still going', async () => {
    const s = setup();
    const a = s.c.simulate(vscode.Uri.file(EXAMPLE) as never, 'meta');
    await tick();
    const b = s.c.simulate(vscode.Uri.file(EXAMPLE) as never, 'meta');
    await tick();
    assert.equal(s.runner.runs[0].cancelled, true);
    s.runner.runs[1].finish(seed.report);
    assert.equal(await a, undefined);
    assert.ok(await b);
  });

  test('progress: stages map onto one bar', () => {
    assert.equal(overallPercent('load', 0, 'numeric'), 0);
    assert.equal(overallPercent('sharded', 100, 'numeric'), 85);
    assert.equal(overallPercent('done', 100, 'meta'), 100);
    assert.ok(overallPercent('sharded', 50, 'meta') > overallPercent('load', 100, 'meta'));
  });
});
