// An Infinity among the input values (it would reach the loss as NaN through the first layer).
// exit: 2
// message: input.data holds Infinity at flat index 7
// message: infinity-in-input.ts:9
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2, data: { shape: [2, 2, 8], data: Array.from({ length: 32 }, (_, i) => (i === 7 ? Infinity : 0.1)) } },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
