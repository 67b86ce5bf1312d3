// Endless async recursion in every rank's program.
// exit: 2
// message: ranks 0, 1 overflowed the call stack
// message: recursion-async.ts:7
// message: fix: give the recursion a base case
import { simulation } from 'autodist';
async function down(n: number): Promise<number> {
  return (await down(n + 1)) + 1;
}
export default simulation({ mesh: { tp: 2 }, program: () => down(0) });
