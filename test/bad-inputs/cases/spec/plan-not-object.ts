// A plan given as a string.
// exit: 2
// message: plan must be an object of module-name patterns
import { simulation, models } from 'autodist';
export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: 16 }), input: { batch: 2, seq: 4 }, plan: 'colwise' as any });
