// A checkpoint saved from a wrapper: every name under "model." (was: 0 tensors loaded, VERIFIED on
// seeded weights). The names are matched without the prefix, and the loaded weights verify.
// exit: 0
// message: VERIFIED
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
import { writeCheckpoint } from './_write';
const weights = writeCheckpoint('autodist-prefix-model.safetensors', { 'model.fc1.weight': [16, 64], 'model.fc1.bias': [64], 'model.fc2.weight': [64, 16], 'model.fc2.bias': [16] });
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4 },
  weights: { file: weights, layout: 'autodist' }, // written [in, out]
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false });
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true });
  },
});
