// A fractional mesh size.
// exit: 2
// message: mesh axis "tp" must be a whole number ≥ 1, got 1.5
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { tp: 1.5 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
