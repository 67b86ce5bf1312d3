// A loss that forgets to reduce: named at the spec's loss line.
// exit: 2
// message: ranks 0, 1: loss(output, batch) returned a tensor of shape [2, 2, 8]; the loss must be one number
// message: loss-not-scalar.ts:12
// message: fix: reduce it: ops.mean(...) or ops.sum(...)
import { simulation, models, ops } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
  loss: (out) => ops.square(out),
});
