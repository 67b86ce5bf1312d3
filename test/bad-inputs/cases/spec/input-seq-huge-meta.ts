// A huge sequence in meta mode: shapes only, so it runs; sizes stay exact numbers.
// exit: 0
// args: --meta
// absent: NaN
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 2 ** 40 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
