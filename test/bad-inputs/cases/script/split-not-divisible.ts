// tp=3 on a width of 64: the split does not divide.
// exit: 2
// message: cannot split "fc1.weight" [16, 64] along dim 1 into 3 parts: 64 is not divisible by 3
// message: split-not-divisible.ts:11
import { simulation, models, ColumnParallelLinear, RowParallelLinear } from 'autodist';
export default simulation({
  mesh: { tp: 3 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 2 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
