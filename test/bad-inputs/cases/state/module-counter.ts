// A module-level counter each rank increments: every rank has its own module, as each process
// has under torchrun, so it reads 1 on every rank (shared, it would read 1, 2, 3, 4).
// exit: 0
// message: VERIFIED
import { simulation, models, ColumnParallelLinear, RowParallelLinear } from 'autodist';
let calls = 0;
const seen = new Map<number, number>();
export default simulation({
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4 },
  parallelize(model, { tp, weights, rank }) {
    calls++;
    seen.set(rank, calls);
    if (calls !== 1 || seen.size !== 1) throw new Error(`rank ${rank} sees calls = ${calls} and ${seen.size} ranks in its module`);
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
