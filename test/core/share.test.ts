import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, ops, type RankContext } from '../../src/core/index.js';
import { useBackend } from '../helpers/backend.js';

before(async () => {
  await useBackend();
});

/** Replicated LayerNorm-like work, a rank-dependent slice, and an all-reduce. */
async function program(r: RankContext): Promise<number[]> {
  const x = r.randn([4, 8], { key: 'x' }); // the same on every rank
  const g = r.randn([8], { key: 'g' });
  const y = ops.layerNorm(x, g, null); // replicated work
  const mine = ops.narrow(y, 1, r.coord('tp') * 4, 4); // differs per rank
  const z = await r.comm.allReduce(ops.mul(mine, mine), { axis: 'tp' }); // [4, 4]
  const w = ops.gelu(z); // replicated again after the all-reduce
  return Array.from(await w.values()).concat(Array.from(await mine.values()));
}

test('replicated ops run once across ranks and give exactly the values of computing them everywhere', async () => {
  const shared = await simulate({ mesh: { tp: 2 } }, program);
  const plain = await simulate({ mesh: { tp: 2 }, share: false }, program);
  assert.equal(shared.errors.length, 0);
  assert.deepEqual(shared.returns, plain.returns);
  assert.ok(shared.sharedOps >= 2, `shared ${shared.sharedOps} ops`); // layerNorm and gelu on rank 1
  assert.equal(plain.sharedOps, 0);
  // rank-dependent slices were not shared: rank 0 and rank 1 hold different halves
  const r = shared.returns as number[][];
  assert.notDeepEqual(r[0].slice(16), r[1].slice(16));
  // every rank is still charged the time of the shared ops
  assert.deepEqual(shared.clocks, plain.clocks);
});
