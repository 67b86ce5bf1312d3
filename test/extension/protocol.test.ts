import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ReportPanel } from '../../src/extension/panel/panel.js';
import { verdictOf } from '../../src/extension/verdict.js';
import { isHostMessage, isWebviewMessage, PANEL_COMMANDS, type HostMessage, type RunInfo, type WebviewMessage } from '../../src/protocol.js';
import { summarizeRun } from '../../src/report/compare.js';
import type { Report } from '../../src/report/types.js';
import { apply, initialState } from '../../webview/state.js';
import { EXAMPLE, seedMeta } from './helpers/reports.js';
import * as vscode from './helpers/vscode-fake.js';

let report: Report;
before(async () => {
  report = (await seedMeta()).report;
});

const run: RunInfo = { id: 7, script: EXAMPLE, name: 'examples/ffn_tp4.ts', mode: 'meta', startedAt: 1 };

/** One sample of every message type: a new member of either union fails to compile here. */
function hostSamples(): Record<HostMessage['type'], HostMessage> {
  return {
    runStarted: { type: 'runStarted', run },
    runEvents: { type: 'runEvents', runId: 7, events: [{ kind: 'progress', stage: 'sharded', percent: 50, message: 'rank 1 done' }, { kind: 'collective', collective: report.collectives[0] }, { kind: 'rank', rank: 2, state: 'blocked' }] },
    runFinished: { type: 'runFinished', run, report, verdict: verdictOf(report) },
    runFailed: { type: 'runFailed', runId: 7, reason: 'cancelled', message: 'the simulation was stopped' },
    showTab: { type: 'showTab', tab: 'traffic' },
    history: { type: 'history', runs: [{ key: 'k1', name: 'examples/ffn_tp4.ts', finishedAt: 2, summary: summarizeRun(report) }], select: ['k1'] },
  };
}
function webviewSamples(): Record<WebviewMessage['type'], WebviewMessage> {
  return {
    ready: { type: 'ready', runId: null },
    openSource: { type: 'openSource', file: EXAMPLE, line: 15, column: 15 },
    command: { type: 'command', command: 'exportTrace' },
  };
}

/** What postMessage does to a message (structured clone of JSON-safe data). */
const wire = <T>(m: T): unknown => structuredClone(JSON.parse(JSON.stringify(m)));

describe('the host ↔ webview protocol', () => {
  test('every host message survives the trip and the panel state takes it in', () => {
    const s = initialState();
    for (const [type, m] of Object.entries(hostSamples())) {
      const back = wire(m);
      assert.ok(isHostMessage(back), type);
      assert.deepEqual(back, JSON.parse(JSON.stringify(m)));
      apply(s, back);
    }
    // runStarted → events → finished → failed (ignored? no: same run id) → showTab
    assert.equal(s.run?.id, 7);
    assert.equal(s.report?.collectives.length, 2);
    assert.equal(s.ui.tab, 'traffic');
    assert.equal(s.phase, 'failed');
  });

  test('every webview message survives the trip and reaches the right handler', async () => {
    vscode.reset();
    const calls: unknown[][] = [];
    const panel = new ReportPanel(vscode.Uri.file('/ext') as never, {
      openSource: (f, l, c) => void calls.push(['openSource', f, l, c]),
      command: (c) => void calls.push(['command', c]),
      replay: (id) => (calls.push(['replay', id]), [hostSamples().showTab]),
    });
    panel.show();
    const webview = vscode.state.panels[0].webview;
    for (const [type, m] of Object.entries(webviewSamples())) {
      const back = wire(m);
      assert.ok(isWebviewMessage(back), type);
      await panel.receive(back);
    }
    assert.deepEqual(calls, [['replay', null], ['openSource', EXAMPLE, 15, 15], ['command', 'exportTrace']]);
    assert.deepEqual(webview.posted, [{ type: 'showTab', tab: 'traffic' }], 'ready is answered with the replay');
  });

  test('malformed messages are refused on both sides', () => {
    for (const bad of [null, 'ready', {}, { type: 'openSource', file: '', line: 3 }, { type: 'openSource', file: '/x', line: 0 }, { type: 'openSource', file: '/x', line: 1.5 }, { type: 'command', command: 'rm -rf' }, { type: 'ready', runId: 'x' }, { type: 'eval', code: '1' }]) {
      assert.equal(isWebviewMessage(bad), false, JSON.stringify(bad));
    }
    for (const bad of [null, { type: 'runEvents', runId: 1 }, { type: 'showTab', tab: 'nope' }, { type: 'runFinished', run }]) {
      assert.equal(isHostMessage(bad), false, JSON.stringify(bad));
    }
    assert.deepEqual([...PANEL_COMMANDS].sort(), ['compareScripts', 'exportTrace', 'openHtmlReport', 'rerun', 'rerunMeta', 'stop']);
  });

  test('events of another run, or after the end, do not change the panel', () => {
    const s = initialState();
    apply(s, { type: 'runStarted', run });
    apply(s, { type: 'runEvents', runId: 8, events: [{ kind: 'collective', collective: report.collectives[0] }] });
    assert.equal(s.live.collectives.length, 0);
    apply(s, { type: 'runFinished', run, report, verdict: verdictOf(report) });
    apply(s, { type: 'runEvents', runId: 7, events: [{ kind: 'collective', collective: report.collectives[0] }] });
    assert.equal(s.live.collectives.length, 0);
    assert.equal(s.phase, 'finished');
  });
});
