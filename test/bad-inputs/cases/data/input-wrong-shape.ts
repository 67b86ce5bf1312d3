// Input values shaped [2, 3, 8] for batch 2, seq 2.
// exit: 2
// message: input.data is [2, 3, 8] but input is batch 2, seq 2
// message: input-wrong-shape.ts:10
// message: fix: make it [2, 2, …]
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2, data: { shape: [2, 3, 8], data: new Array(48).fill(0.1) } },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
