// The batch as a string.
// exit: 2
// message: input.batch is the string "8", not a number
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: '8' as any, seq: 4 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
