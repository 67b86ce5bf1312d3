// 2^31 ranks (V8 aborted: invalid table size).
// exit: 2
// args: --meta
// message: has 2,147,483,648 ranks
// message: at most 2,097,152
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { dp: 2 ** 31 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2 ** 31, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
