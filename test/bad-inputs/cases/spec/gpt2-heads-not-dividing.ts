// Attention heads that do not divide the width.
// exit: 2
// message: gpt2 nEmbd 30 is not divisible by nHead 4
// message: fix: choose nHead dividing 30
import { simulation, models } from 'autodist';
export default simulation({ mesh: { tp: 2 }, model: models.gpt2({ nLayer: 1, nEmbd: 30, nHead: 4, vocab: 64 }), input: { batch: 2, seq: 4 } });
