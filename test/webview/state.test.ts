import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { verdictOf } from '../../src/extension/verdict.js';
import type { CollectiveInfo } from '../../src/report/types.js';
import { apply, initialState, MAX_LIVE_SPANS, recordedCollectives, restoreState, summarize, trafficOf } from '../../webview/state.js';
import { recordSeed, type Recording } from './helpers/recording.js';

let rec: Recording;
before(async () => {
  rec = await recordSeed();
});

describe('the panel state', () => {
  test('live traffic totals equal the report\'s once every collective has streamed', () => {
    const s = initialState();
    for (const m of rec.live) apply(s, m);
    assert.equal(s.phase, 'running');
    assert.deepEqual(trafficOf(s), rec.seed.report.traffic);
  });

  test('the report replaces the live data (and the saved state stays small)', () => {
    const s = initialState();
    for (const m of [...rec.live, rec.finished]) apply(s, m);
    assert.equal(s.phase, 'finished');
    assert.equal(s.live.spans.length, 0);
    assert.equal(s.verdict?.text, verdictOf(rec.seed.report).text);
  });

  test('a saved state from another version, or garbage, starts empty; a good one comes back', () => {
    assert.equal(restoreState(undefined).phase, 'empty');
    assert.equal(restoreState({ v: 999, ui: {}, live: {} }).phase, 'empty');
    assert.equal(restoreState('x').phase, 'empty');
    const s = initialState();
    for (const m of [...rec.live, rec.finished]) apply(s, m);
    s.ui.tab = 'timeline';
    const back = restoreState(JSON.parse(JSON.stringify(s)));
    assert.equal(back.phase, 'finished');
    assert.equal(back.ui.tab, 'timeline');
    assert.equal(back.report?.collectives.length, 2);
    assert.equal(restoreState({ ...JSON.parse(JSON.stringify(s)), ui: { ...s.ui, tab: 'nope' } }).ui.tab, 'overview');
  });

  test('live spans are capped', () => {
    const s = initialState();
    apply(s, rec.live[0]);
    const span = rec.seed.report.timeline.events[0];
    apply(s, { type: 'runEvents', runId: rec.run.id, events: Array.from({ length: MAX_LIVE_SPANS + 5 }, () => ({ kind: 'span' as const, span })) });
    assert.equal(s.live.spans.length, MAX_LIVE_SPANS);
  });

  test('a tally past the streamed collectives is what the views count as recorded, until the report comes', () => {
    const s = initialState();
    for (const m of rec.live) apply(s, m);
    assert.equal(recordedCollectives(s), null, 'nothing tallied: every collective streamed');
    const n = s.live.collectives.length;
    apply(s, { type: 'runEvents', runId: rec.run.id, events: [{ kind: 'tally', collectives: n, events: 10 }] });
    assert.equal(recordedCollectives(s), null, 'a tally of no more than was streamed changes nothing');
    apply(s, { type: 'runEvents', runId: rec.run.id, events: [{ kind: 'tally', collectives: n + 70_000, events: 10 }] });
    assert.equal(recordedCollectives(s), n + 70_000);
    apply(s, rec.finished);
    assert.equal(recordedCollectives(s), null, 'the report has every collective');
    apply(s, { type: 'runStarted', run: { ...rec.run, id: rec.run.id + 1 } });
    assert.equal(s.live.tally, null, 'a new run starts without a tally');
  });

  test('a folded ledger entry counts for every group it stands for', () => {
    const c: CollectiveInfo = { ...rec.seed.report.collectives[0], multiplicity: 3 };
    const t = summarize([c], 4);
    assert.equal(t.byOp.all_reduce.count, 3);
    assert.equal(t.totalBytes, 3 * c.bytes);
  });
});
