// Two helpers that import each other: the cycle is named.
// exit: 2
// message: _cycle-a.ts → _cycle-b.ts → _cycle-a.ts is a circular import
// message: _cycle-b.ts:2
import { simulation } from 'autodist';
import { both } from './_cycle-a';
export default simulation({ mesh: { tp: 2 }, program: () => both });
