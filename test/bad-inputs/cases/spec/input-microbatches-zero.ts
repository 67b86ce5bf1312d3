// Zero micro-batches.
// exit: 2
// message: input.microbatches must be a whole number ≥ 1, got 0
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4, microbatches: 0 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
