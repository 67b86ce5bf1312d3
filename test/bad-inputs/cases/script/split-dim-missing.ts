// A weight split along a dim it does not have.
// exit: 2
// message: "fc1.weight" has 2 dims; dim 7 does not exist
// message: split-dim-missing.ts:12
// message: fix: split along a dim from -2 to 1
import { simulation, models, ColumnParallelLinear, RowParallelLinear } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(7, tp), { gatherOutput: false });
  },
});
