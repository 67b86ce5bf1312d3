// fold given as a string that is not "auto".
// exit: 2
// message: fold must be "auto", false or a list of mesh axes, got "dp"
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 }, fold: 'dp' as any,
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
