import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { simulate } from '../../src/core/index.js';

/**
 * The person's line of a call is one frozen object per place in the code: every rank's and every
 * iteration's call from one line has the same source, which the ledger and the trace compare by
 * identity (a member's comm event with its entry's source is kept compact).
 */

before(async () => {
  await useBackend();
});

test('calls from one line share one source object; calls from two lines have two', async () => {
  const r = await simulate({ mesh: { tp: 4 }, mode: 'meta', sources: 'collectives' }, async (ctx) => {
    const x = ctx.zeros([2, 8]);
    for (let i = 0; i < 3; i++) {
      await ctx.comm.allReduce(x, { axis: 'tp' }); // line A
      await ctx.comm.allReduce(x, { axis: 'tp', op: 'max' }); // line B
    }
  });
  assert.equal(r.ledger.length, 6);
  const [a, b] = [r.ledger[0].source!, r.ledger[1].source!];
  assert.ok(a && b && a !== b);
  assert.equal(b.line, a.line + 1);
  assert.match(a.file, /source\.test\.ts$/);
  assert.ok(Object.isFrozen(a));
  r.ledger.forEach((e, i) => assert.equal(e.source, i % 2 ? b : a, `entry ${i}`));
  const comm = r.trace.filter((e) => e.kind === 'comm');
  assert.equal(comm.length, 6 * 4, 'every rank has its comm event');
  for (const e of comm) assert.equal(e.source, r.ledger[e.ledgerSeq!].source, "each rank's event has its entry's source object");
});
