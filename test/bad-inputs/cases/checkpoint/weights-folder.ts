// The weights path names a folder (it was an internal error, exit 3).
// exit: 2
// message: the weights "." is a folder
// message: weights-folder.ts:10
// message: fix: give weights: the path of the .safetensors file itself
// absent: internal error
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  weights: '.',
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2 },
});
