// Two column-parallel layers in a row: not told to "split the weight along dim 1", which it does.
// exit: 2
// message: the input is still split into 2 parts along its last dim
// message: RowParallelLinear
// absent: split the weight along dim 1 (its columns), not dim 0
import { simulation, ColumnParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new ColumnParallelLinear(weights.fc2.split(1, tp), { gatherOutput: true });
  },
});
