import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LedgerLog, type LedgerKind } from '../../src/core/ledger-log.js';
import { TraceLog } from '../../src/core/trace-log.js';
import { traceEvent, type TraceEvent } from '../../src/core/trace.js';
import { Rng } from '../../src/core/rng.js';

/**
 * The trace keeps compact comm events as ledger seqs, and the rank and tag only where they change
 * (trace-log.ts). Whatever the interleaving, `toArray()` must give back exactly the events
 * pushed, in order: checked against a plain array of the same events, for random programs
 * (a rank or tag change inside a loop of seqs, an object between two seqs, a seq that jumps or
 * repeats).
 */

const KIND: LedgerKind = {
  op: 'all_reduce',
  reduceOp: 'sum',
  axis: 'tp',
  group: 'tp[0-3]',
  ranks: [0, 1, 2, 3],
  dtype: 'float32',
  shape: [4, 8],
  elements: 32,
  bytes: 128,
  algorithm: 'ring',
  sentBytes: [192, 192, 192, 192],
  recvBytes: [192, 192, 192, 192],
  sentBytesPerRank: 192,
  wireBytes: 768,
  steps: 6,
  link: 'nvlink',
  timeUs: 2.5,
  tag: undefined,
  multiplicity: 1,
  inShapes: [[4, 8]],
  outShape: [4, 8],
};

test('trace log: toArray() gives back every pushed event in order, for random interleavings', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rng = new Rng(seed);
    const rnd = () => rng.uniform();
    const ledger = new LedgerLog();
    const entries = 400;
    for (let i = 0; i < entries; i++) ledger.push(KIND, i * 3, i % 50 < 25 ? 'forward' : 'backward', undefined, undefined, i % 7 === 0 ? 'h.0.mlp' : undefined);
    const log = new TraceLog(ledger);
    const want: TraceEvent[] = [];
    let seq = 0;
    let rank = 0;
    let tag: string | undefined;
    const n = 50 + Math.floor(rnd() * 2000);
    for (let k = 0; k < n; k++) {
      const r = rnd();
      if (r < 0.15) {
        const e = traceEvent({ rank: Math.floor(rnd() * 4), kind: 'compute', name: `op${k}`, phase: 'forward', startUs: k, endUs: k + 1, flops: k });
        log.push(e);
        want.push(e);
        continue;
      }
      if (r < 0.2) rank = Math.floor(rnd() * 4);
      else if (r < 0.25) tag = rnd() < 0.5 ? undefined : `mb${Math.floor(rnd() * 3)}`;
      else if (r < 0.3) seq = Math.floor(rnd() * entries); // a jump (or a repeat)
      log.pushComm(seq, rank, tag);
      want.push(log.comm(seq, rank, tag));
      seq = (seq + 1) % entries;
    }
    assert.equal(log.length, want.length, `seed ${seed}: length`);
    assert.deepEqual(log.toArray(), want, `seed ${seed}`);
  }
});

test('trace log: a loop of collectives on one rank records its rank and tag once — every event still has them', () => {
  const ledger = new LedgerLog();
  for (let i = 0; i < 10_000; i++) ledger.push(KIND, i * 2.5, 'forward', undefined, undefined, undefined);
  const log = new TraceLog(ledger);
  for (let i = 0; i < 10_000; i++) log.pushComm(i, 3, 'mb0');
  const out = log.toArray();
  assert.equal(out.length, 10_000);
  assert.deepEqual(out[0], { rank: 3, kind: 'comm', name: 'all_reduce', phase: 'forward', startUs: 0, endUs: 2.5, inShapes: [[4, 8]], outShape: [4, 8], flops: undefined, ledgerSeq: 0, source: undefined, module: undefined, tag: 'mb0' });
  assert.deepEqual(
    out.map((e) => [e.ledgerSeq, e.rank, e.tag, e.startUs]),
    Array.from({ length: 10_000 }, (_, i) => [i, 3, 'mb0', i * 2.5]),
  );
});
