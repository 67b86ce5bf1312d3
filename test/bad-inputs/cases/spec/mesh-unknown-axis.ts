// An axis AutoDist does not know.
// exit: 2
// message: unknown mesh axis "xp"
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { xp: 2 } as any,
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
