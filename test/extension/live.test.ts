import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { LiveBatcher, liveEvent, MAX_LIVE_SPANS, meshInfo, reportError, type Timer } from '../../src/extension/live.js';
import type { LiveEvent } from '../../src/protocol.js';
import { seedMeta, type Recorded } from './helpers/reports.js';

let seed: Recorded;
before(async () => {
  seed = await seedMeta();
});

/** A timer the test fires by hand. */
function manualTimer() {
  const pending: (() => void)[] = [];
  const timer: Timer = { set: (fn) => (pending.push(fn), pending.length), clear: () => void pending.splice(0) };
  return { timer, fire: () => pending.splice(0).forEach((f) => f()) };
}

describe('live events', () => {
  test('a streamed ledger entry becomes the collective the report will list', () => {
    const ledger = seed.events.filter((e) => e.type === 'ledger');
    assert.equal(ledger.length, 2);
    const live = ledger.map((e) => liveEvent(e));
    assert.deepEqual(live.map((e) => (e?.kind === "collective" ? e.collective : null)), seed.report.collectives);
  });

  test('a streamed trace event becomes the timeline event the report will list', () => {
    const spans = seed.events.filter((e) => e.type === 'trace').map((e) => liveEvent(e));
    assert.deepEqual(spans.map((e) => (e?.kind === "span" ? e.span : null)), seed.report.timeline.events);
  });

  test('a tally becomes the panel\'s count of what the run recorded; a batch keeps only the latest', () => {
    assert.deepEqual(liveEvent({ type: 'tally', ledger: 70000, trace: 900000 }), { kind: 'tally', collectives: 70000, events: 900000 });
    const { timer, fire } = manualTimer();
    const out: LiveEvent[][] = [];
    const b = new LiveBatcher((evs) => out.push(evs), 100, timer);
    b.push({ type: 'tally', ledger: 50001, trace: 1 });
    b.push({ type: 'rank-state', rank: 0, state: 'running' });
    b.push({ type: 'tally', ledger: 54097, trace: 1 });
    fire();
    assert.deepEqual(out, [[{ kind: 'rank', rank: 0, state: 'running' }, { kind: 'tally', collectives: 54097, events: 1 }]]);
  });

  test('the mesh of the loaded script: axes and every rank\'s coordinates, as the report has them', () => {
    assert.deepEqual(meshInfo({ tp: 4 }), seed.report.mesh);
  });

  test('errors from the worker (plain objects) keep their headline', () => {
    const e = reportError({ kind: 'deadlock', message: 'deadlock: 2 ranks wait\n  rank 0: …', ranks: [{ rank: 0, detail: 'waits' }] });
    assert.equal(e.headline, 'deadlock: 2 ranks wait');
    assert.deepEqual(e.ranks, [{ rank: 0, detail: 'waits', source: undefined }]);
  });

  test('batched: nothing until the timer fires, one message per batch, the newest progress only', () => {
    const out: LiveEvent[][] = [];
    const t = manualTimer();
    const b = new LiveBatcher((es) => out.push(es), 100, t.timer);
    for (const e of seed.events) b.push(e);
    assert.equal(out.length, 0);
    t.fire();
    assert.equal(out.length, 1);
    const progress = out[0].filter((e) => e.kind === 'progress');
    assert.equal(progress.length, 1);
    assert.equal(out[0].length, seed.events.length - seed.events.filter((e) => e.type === 'progress').length + 1);
    b.push({ type: 'rank-state', rank: 0, state: 'done' });
    b.flush();
    assert.equal(out.length, 2);
    b.flush();
    assert.equal(out.length, 2, 'an empty flush sends nothing');
  });

  test('at most MAX_LIVE_SPANS spans are forwarded', () => {
    const out: LiveEvent[] = [];
    const b = new LiveBatcher((es) => out.push(...es), 100, manualTimer().timer);
    const span = seed.events.find((e) => e.type === 'trace')!;
    for (let i = 0; i < MAX_LIVE_SPANS + 10; i++) b.push(span);
    b.flush();
    assert.equal(out.length, MAX_LIVE_SPANS);
  });
});
