// A negative model dim.
// exit: 2
// message: ffn hidden must be a positive integer, got -8
import { simulation, models } from 'autodist';
export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: -8 }), input: { batch: 2, seq: 2 } });
