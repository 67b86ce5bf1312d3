// simulation(null).
// exit: 2
// message: a simulation must be an object
import { simulation } from 'autodist';
export default simulation(null as any);
