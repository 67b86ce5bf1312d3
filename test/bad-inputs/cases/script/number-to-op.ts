// A number where an op takes a tensor (ops.mul(t, 0) in a loss).
// exit: 2
// message: ranks 0, 1 passed the number 0 to ops.mul where a tensor goes
// message: number-to-op.ts:13
// message: fix: for a number use ops.scale(x, 0)
// absent: Invalid array length
import { simulation, models, ops } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
  loss: (out) => ops.div(ops.sum(out), ops.mul(ops.sum(out), 0 as any)),
});
