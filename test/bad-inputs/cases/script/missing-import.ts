// A relative import of a file that does not exist.
// exit: 2
// message: cannot find "./not-here"
import { simulation } from 'autodist';
import { x } from './not-here';
export default simulation({ mesh: { tp: 2 }, program: () => x });
