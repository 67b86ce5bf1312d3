// An error while loading a helper module points at the helper's own line, not the import.
// exit: 2
// message: _helper.ts threw while loading: Error: the helper fails at its own line
// message: _helper.ts:5
import { simulation } from 'autodist';
import { value } from './_helper';
export default simulation({ mesh: { tp: 2 }, program: () => value });
