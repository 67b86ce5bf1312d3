// A checkpoint whose tensor has the wrong shape: the summary's headline names the tensor.
// exit: 2
// message: the checkpoint does not fit the model: "fc1.weight": the file has [16, 32]
import { simulation, models } from 'autodist';
import { writeCheckpoint } from './_write';
const weights = writeCheckpoint('autodist-shape.safetensors', { 'fc1.weight': [16, 32], 'fc1.bias': [64], 'fc2.weight': [64, 16], 'fc2.bias': [16] });
export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: 16 }), input: { batch: 2, seq: 4 }, weights, plan: { fc1: 'colwise', fc2: 'rowwise' } });
