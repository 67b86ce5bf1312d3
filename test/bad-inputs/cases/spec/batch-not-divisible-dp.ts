// A batch of 3 over 2 data-parallel replicas.
// exit: 2
// message: the batch (3) does not divide among dp=2 replicas
// message: fix: use a batch that is a multiple of 2
import { simulation, models } from 'autodist';
export default simulation({ mesh: { dp: 2 }, model: models.ffn({ hidden: 8 }), input: { batch: 3, seq: 2 } });
