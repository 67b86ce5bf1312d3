// A model given as a string.
// exit: 2
// message: model must be a model spec such as models.ffn({ hidden: 64 }), got "gpt2"
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: 'gpt2' as any,
  input: { batch: 2, seq: 4 },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
