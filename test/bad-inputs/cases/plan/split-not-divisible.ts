// A plan on tp=3 for a width of 32: the split does not divide; named at the plan key's line.
// exit: 2
// message: ranks 0, 1, 2: plan "fc1": cannot split "fc1.weight" [8, 32] along dim 1 into 3 parts: 32 is not divisible by 3
// message: split-not-divisible.ts:11
// message: fix: use a tp size that divides 32
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 3 },
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
