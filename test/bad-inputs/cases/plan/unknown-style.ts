// A plan style AutoDist does not have.
// exit: 2
// message: ranks 0, 1: plan "fc1": cannot apply "diagonal" to fc1, a Linear
// message: unknown-style.ts:10
// message: fix: use "colwise" or "rowwise" for linear layers
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 8 }),
  plan: { fc1: 'diagonal' as any },
  input: { batch: 2, seq: 2 },
});
