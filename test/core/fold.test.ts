import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, type RankContext } from '../../src/core/index.js';

/** A pipeline-ish SPMD program: tp all-reduce, pp send/recv between stages, dp gradient all-reduce. */
async function program(r: RankContext): Promise<void> {
  const x = r.zeros([4, 16, 64]);
  const y = await r.comm.allReduce(x, { axis: 'tp' });
  const pp = r.coord('pp');
  const next = r.comm.peer('pp', +1);
  const prev = r.comm.peer('pp', -1);
  if (pp === 0 && next !== null) await r.comm.send(y, next);
  if (pp === 1 && prev !== null) await r.comm.recv({ shape: [4, 16, 64] }, prev);
  await r.comm.allGather(r.zeros([2, 64]), { axis: 'tp', dim: 0 });
  await r.withPhase('optimizer', () => r.comm.allReduce(r.zeros([64, 64]), { axis: 'dp', op: 'avg' }));
}

function histogram(ledger: readonly { op: string; phase: string; bytes: number; sentBytesPerRank: number; wireBytes: number; multiplicity?: number }[]): Map<string, number> {
  const h = new Map<string, number>();
  for (const e of ledger) {
    const k = `${e.phase} ${e.op} ${e.bytes} ${e.sentBytesPerRank} ${e.wireBytes}`;
    h.set(k, (h.get(k) ?? 0) + (e.multiplicity ?? 1));
  }
  return h;
}

test('folding dp and tp in meta mode gives the same ledger (by multiplicity), clocks and memory as running every rank', async () => {
  const mesh = { dp: 2, pp: 2, tp: 4 };
  const full = await simulate({ mesh, mode: 'meta' }, program);
  const folded = await simulate({ mesh, mode: 'meta', fold: ['dp', 'tp'] }, program);
  assert.equal(full.errors.length, 0);
  assert.equal(folded.errors.length, 0, folded.errors.map((e) => e.message).join('\n'));
  assert.deepEqual(folded.folded.representatives, [0, 8]); // pp=0 and pp=1, dp=tp=0
  assert.ok(folded.ledger.length < full.ledger.length);
  assert.deepEqual([...histogram(folded.ledger)].sort(), [...histogram(full.ledger)].sort());
  assert.deepEqual(folded.clocks, full.clocks);
  assert.deepEqual(folded.memory, full.memory);
});

test('"auto" folds only large meta worlds, and never numeric ones', async () => {
  const small = await simulate({ mesh: { tp: 4 }, mode: 'meta', fold: 'auto' }, program);
  assert.deepEqual(small.folded.representatives, []);
  const big = await simulate({ mesh: { dp: 8, pp: 2, tp: 8 }, mode: 'meta', fold: 'auto' }, program);
  assert.deepEqual(big.folded.axes, ['dp', 'tp']);
  assert.equal(big.folded.representatives.length, 2);
  await assert.rejects(() => simulate({ mesh: { tp: 2 }, mode: 'numeric', fold: ['tp'] }, program), /meta mode only/);
});
