// 2^22 ranks in meta mode: over the meta ceiling, which the message states.
// exit: 2
// args: --meta
// message: a meta run takes at most 2,097,152
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { dp: 2 ** 11, tp: 2 ** 11 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2048, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
