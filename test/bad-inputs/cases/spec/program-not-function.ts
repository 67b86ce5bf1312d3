// program given as a string.
// exit: 2
// message: program must be a function
import { simulation } from 'autodist';
export default simulation({ mesh: { tp: 2 }, program: 'allReduce' as any });
