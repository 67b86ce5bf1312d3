import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, buildStage, runSimulation, simulation } from '../../src/parallel/index.js';
import { gpt2, GPT2 } from '../../src/models/gpt2.js';
import type { RankContext } from '../../src/core/context.js';
import type { Tensor } from '../../src/core/tensor.js';
import { useBackend } from '../helpers/backend.js';
import { lineOf } from '../helpers/lines.js';

before(async () => {
  await useBackend();
});

const THIS = __filename;
const spec = () => gpt2({ nLayer: 4, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 });

/** The seed's Problems 1–2 done right: stage-edge sends and recvs go to pp-axis neighbours. */
async function pipelineForward(rank: RankContext): Promise<void> {
  const { model } = buildModel(rank, spec());
  const g = model as GPT2;
  const pp = rank.coord('pp');
  const numStages = rank.axisSize('pp');
  const { layers } = buildStage(g.h, pp, numStages);
  const ids = rank.randint([2, 8], 64, { key: 'ids' });
  let x: Tensor = pp === 0 ? await g.embed(ids) : rank.zeros([2, 8, 32]); // a buffer to receive into
  for (const l of layers) x = await l.call(x);
  if (pp === numStages - 1) await g.head(x);
}

/** The seed's version: stage numbers used as ranks. */
async function seedPipelineForward(rank: RankContext): Promise<void> {
  const { model } = buildModel(rank, spec());
  const g = model as GPT2;
  const stage = rank.coord('pp');
  const ids = rank.randint([2, 8], 64, { key: 'ids' });
  let x: Tensor = stage === 0 ? await g.embed(ids) : rank.zeros([2, 8, 32]);
  if (stage > 0) x = await rank.comm.recv(x, stage - 1); // @seed-recv
  for (const [i, block] of g.h.entries()) if (Math.floor(i / 2) === stage) x = await block.call(x);
  if (stage < rank.axisSize('pp') - 1) await rank.comm.send(x, stage + 1); // @seed-send
}

describe('stage-edge wrapper (seed Problems 1–2)', () => {
  test('buildStage marks first/last layers and indices within the stage', async () => {
    const r = await runSimulation(
      simulation({
        mesh: { pp: 2 },
        program: async (rank) => {
          const { model } = buildModel(rank, spec());
          const { layers, ranges } = buildStage((model as GPT2).h, rank.coord('pp'), 2);
          assert.deepEqual(ranges.map((x) => [x.start, x.end]), [[0, 2], [2, 4]]);
          assert.deepEqual(layers.map((l) => [l.position.isFirstInStage, l.position.isLastInStage, l.position.indexInStage]), [[true, false, 0], [false, true, 1]]);
        },
      }),
    );
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  });

  test('pp=2 × tp=2: activations cross the stage edge between pp neighbours only', async () => {
    const r = await runSimulation(simulation({ mesh: { pp: 2, tp: 2 }, program: pipelineForward }));
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    const p2p = r.collectives.filter((c) => c.op === 'send_recv');
    assert.deepEqual(p2p.map((c) => c.ranks).sort(), [[0, 2], [1, 3]]);
    for (const c of p2p) assert.equal(c.axis, 'pp');
  });

  test("the seed's stage-number-as-rank version fails plainly on pp=2 × tp=2, naming ranks and lines", async () => {
    const r = await runSimulation(simulation({ mesh: { pp: 2, tp: 2 }, program: seedPipelineForward }));
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    // rank 1 (pp=0, tp=1) sends to "rank 1": itself
    assert.match(e.message, /rank 1: a send to itself/);
    assert.match(e.message, /pp-axis neighbour/);
    assert.equal(e.ranks[0].source?.line, lineOf(THIS, '// @seed-send'));
    assert.equal(e.ranks[0].source?.file, THIS);
  });

  test("the seed's version on pp=2 × dp=2 deadlocks: both stage-1 ranks wait on rank 0", async () => {
    const r = await runSimulation(simulation({ mesh: { pp: 2, dp: 2 }, program: async (rank) => {
      const stage = rank.coord('pp');
      const x = rank.zeros([2, 8, 32]);
      if (stage === 0 && rank.coord('dp') === 0) await rank.comm.send(x, stage + 1); // rank 0 → rank 1 (stage 0 itself)
      if (stage > 0) await rank.comm.recv(x, stage - 1); // @dl-recv
    } }));
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    assert.equal(e.kind, 'deadlock');
    assert.deepEqual(e.ranks.map((x) => x.rank).sort(), [0, 2, 3]);
    const recvs = e.ranks.filter((x) => x.rank !== 0);
    for (const x of recvs) {
      assert.match(x.detail, /recv .* from rank 0/);
      assert.equal(x.source?.line, lineOf(THIS, '// @dl-recv'));
    }
  });
});
