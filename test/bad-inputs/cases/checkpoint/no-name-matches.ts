// A checkpoint of another model: not one name matches, which is an error (was VERIFIED on seeded
// weights, with only a stderr line that --quiet hides).
// exit: 2
// message: none of the checkpoint's 2 tensors matches a parameter of the model
// message: "encoder.w1"
import { simulation, models } from 'autodist';
import { writeCheckpoint } from './_write';
const weights = writeCheckpoint('autodist-no-match.safetensors', { 'encoder.w1': [16, 64], 'encoder.w2': [64, 16] });
export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: 16 }), input: { batch: 2, seq: 4 }, weights, plan: { fc1: 'colwise', fc2: 'rowwise' } });
