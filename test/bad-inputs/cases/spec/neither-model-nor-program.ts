// A spec with a mesh and nothing to run.
// exit: 2
// message: the simulation has neither a model nor a program
import { simulation } from 'autodist';
export default simulation({ mesh: { tp: 2 } } as any);
