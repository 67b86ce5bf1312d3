// A plan key that names no module.
// exit: 2
// message: plan pattern "nope.*" matches no module
// message: matches-nothing.ts:9
// message: fix: module names look like: fc1, fc2
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  plan: { 'nope.*': 'colwise' },
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2 },
});
