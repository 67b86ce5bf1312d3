// The seed's Problems 1–2 done right: buildStage cuts the blocks into stages and wraps them;
// the first layer of a non-first stage receives from the previous stage and the last layer of a
// non-last stage sends to the next — both addressed by pp-axis neighbours, so tp and dp ranks
// talk to their own counterparts.
import { simulation, buildModel, buildStage, models, type Tensor } from 'autodist';

export default simulation({
  name: 'seed Problems 1–2: stage edges on pp neighbours (pp=2 × tp=2)',
  mesh: { pp: 2, tp: 2 },
  async program(rank) {
    const { model: gpt } = buildModel(rank, models.gpt2({ nLayer: 4, nEmbd: 64, nHead: 4, vocab: 256, nPositions: 32 }));
    const pp = rank.coord('pp');
    const { layers } = buildStage(gpt.h, pp, rank.axisSize('pp')); // stage 0: h.0–h.1, stage 1: h.2–h.3
    const ids = rank.randint([2, 16], 256, { key: 'ids' });
    let hidden: Tensor = pp === 0 ? await gpt.embed(ids) : rank.zeros([2, 16, 64]); // a buffer to receive into
    for (const layer of layers) hidden = await layer.call(hidden); // recv / send at the stage edges
    if (pp === rank.axisSize('pp') - 1) await gpt.head(hidden);
  },
});
