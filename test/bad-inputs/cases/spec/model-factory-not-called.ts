// A model that is not a model spec (the factory, not called).
// exit: 2
// message: model must be a model spec such as models.ffn
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn as any,
  input: { batch: 2, seq: 4 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
