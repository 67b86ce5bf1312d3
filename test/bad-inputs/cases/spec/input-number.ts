// The input as a number.
// exit: 2
// message: input must be { batch, seq }, got 8
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: 8 as any,
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
