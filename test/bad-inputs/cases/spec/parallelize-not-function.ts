// parallelize given as an object.
// exit: 2
// message: parallelize must be a function
import { simulation, models } from 'autodist';
export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: 16 }), input: { batch: 2, seq: 4 }, parallelize: { fc1: 'colwise' } as any });
