// Eight pipeline stages for two layers.
// exit: 2
// message: ranks 0, 1, 2, 3, 4, 5, 6, 7: 8 pipeline stages but only 2 layers to place
// message: pp-more-than-layers.ts:8
// message: fix: use at most 2 stages
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { pp: 8 },
  model: models.gpt2({ nLayer: 2, nEmbd: 16, nHead: 2, vocab: 32 }),
  input: { batch: 8, seq: 4, microbatches: 8 },
});
