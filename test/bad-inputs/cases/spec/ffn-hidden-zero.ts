// A zero-size model dim.
// exit: 2
// message: ffn hidden must be a positive integer, got 0
// message: fix: give a whole number ≥ 1, e.g. models.ffn({ hidden: 64 })
import { simulation, models } from 'autodist';
export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: 0 }), input: { batch: 2, seq: 2 }, plan: { fc1: 'colwise', fc2: 'rowwise' } });
