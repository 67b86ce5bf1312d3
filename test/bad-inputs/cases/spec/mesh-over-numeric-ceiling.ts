// 2^19 ranks in numeric mode (crashed with a RangeError and exit 1): the numeric ceiling, and --meta.
// exit: 2
// message: a numeric run takes at most 16,384
// message: --meta
// absent: RangeError
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { dp: 2 ** 19 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2 ** 19, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
