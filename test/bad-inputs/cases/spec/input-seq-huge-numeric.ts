// A huge sequence in numeric mode: refused by the memory estimate, before anything is allocated.
// exit: 2
// message: memory
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 2 ** 40 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
