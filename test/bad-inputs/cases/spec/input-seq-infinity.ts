// A sequence length of Infinity.
// exit: 2
// message: input.seq must be a whole number ≥ 1, got Infinity
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: Infinity },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
