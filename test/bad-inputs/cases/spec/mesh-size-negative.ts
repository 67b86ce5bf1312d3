// A negative mesh size.
// exit: 2
// message: mesh axis "dp" must be a whole number ≥ 1, got -2
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { dp: -2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
