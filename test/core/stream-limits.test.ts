import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { TALLY_EVERY, simulate, type SimEvent, type StreamLimits } from '../../src/core/index.js';

/**
 * A listener hears the first `streamLimits` ledger entries and trace events one by one, then
 * tallies of what the run recorded: every TALLY_EVERY unsent ones and once at the end. The
 * result keeps everything either way.
 */

before(async () => {
  await useBackend();
});

const CALLS = 3000; // 4 ranks: 3,000 entries, 12,000 comm events and a few compute events
const run = async (streamLimits?: StreamLimits) => {
  const events: SimEvent[] = [];
  const r = await simulate({ mesh: { tp: 4 }, mode: 'meta', streamLimits, onEvent: (e) => events.push(e) }, async (ctx) => {
    const x = ctx.zeros([2, 8]);
    for (let i = 0; i < CALLS; i++) await ctx.comm.allReduce(x, { axis: 'tp' });
  });
  return { r, events, of: <T extends SimEvent['type']>(t: T) => events.filter((e): e is Extract<SimEvent, { type: T }> => e.type === t) };
};

test('past the limits: the first entries and events as objects, then tallies up to the final count', async () => {
  const { r, of } = await run({ ledger: 3, trace: 5 });
  assert.equal(r.ledger.length, CALLS);
  assert.deepEqual(of('ledger').map((e) => e.entry), r.ledger.slice(0, 3));
  assert.deepEqual(of('trace').map((e) => e.event), r.trace.slice(0, 5));
  const tallies = of('tally');
  const unsent = r.ledger.length - 3 + (r.trace.length - 5);
  assert.equal(tallies.length, Math.floor(unsent / TALLY_EVERY) + (unsent % TALLY_EVERY ? 1 : 0));
  assert.deepEqual(tallies.at(-1), { type: 'tally', ledger: r.ledger.length, trace: r.trace.length });
  for (let i = 1; i < tallies.length; i++) assert.ok(tallies[i].ledger + tallies[i].trace - (tallies[i - 1].ledger + tallies[i - 1].trace) === TALLY_EVERY || i === tallies.length - 1);
});

test('within the limits (or without any) every entry and event is streamed and no tally is sent', async () => {
  for (const limits of [undefined, { ledger: CALLS, trace: 1e9 }]) {
    const { r, of } = await run(limits);
    assert.equal(of('tally').length, 0);
    assert.deepEqual(of('ledger').map((e) => e.entry), r.ledger);
    assert.deepEqual(of('trace').map((e) => e.event), r.trace);
  }
});

test('rank states are sent when they change from the last one sent: not once per collective', async () => {
  const { of } = await run();
  const states = of('rank-state');
  for (let r = 0; r < 4; r++) {
    const mine = states.filter((e) => e.rank === r).map((e) => e.state);
    assert.deepEqual(mine.at(-1), 'done');
    assert.ok(mine.length <= 2, `rank ${r}: ${mine.join(', ')}`);
    for (let i = 1; i < mine.length; i++) assert.notEqual(mine[i], mine[i - 1]);
  }
});
