// Endless recursion inside a rank's program.
// exit: 2
// message: rank 0 overflowed the call stack
// message: a recursion that does not end
import { simulation } from 'autodist';
function down(n: number): number {
  return down(n + 1) + 1;
}
export default simulation({ mesh: { tp: 1 }, program: () => down(0) });
