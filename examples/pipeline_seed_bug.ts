// The seed's Problem 1 as written: the stage number is used as a rank and world_size as the
// stage count. On a pp=2 × tp=2 mesh stage 0 is ranks 0 and 1, so "send to stage_num + 1"
// makes rank 1 send to itself and rank 0 send to its own tensor-parallel peer.
// AutoDist stops the run and says which rank sent where, at which line.
import { simulation, buildModel, models, type Tensor } from 'autodist';

export default simulation({
  name: "seed Problem 1: stage number used as a rank (pp=2 × tp=2)",
  mesh: { pp: 2, tp: 2 },
  async program(rank) {
    const { model: gpt } = buildModel(rank, models.gpt2({ nLayer: 4, nEmbd: 64, nHead: 4, vocab: 256, nPositions: 32 }));
    const stageNum = rank.coord('pp');
    const ids = rank.randint([2, 16], 256, { key: 'ids' });
    let hidden: Tensor = stageNum === 0 ? await gpt.embed(ids) : rank.zeros([2, 16, 64]);
    if (stageNum > 0) hidden = await rank.comm.recv(hidden, stageNum - 1); // BUG: a stage, not a rank
    for (let i = 2 * stageNum; i < 2 * stageNum + 2; i++) hidden = await gpt.h[i].call(hidden);
    if (stageNum < rank.worldSize - 1) await rank.comm.send(hidden, stageNum + 1); // BUG: a stage, not a rank; world_size counts ranks
  },
});
