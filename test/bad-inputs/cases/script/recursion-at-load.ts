// Endless recursion while the script loads.
// exit: 2
// message: overflowed the call stack while loading
// message: a recursion that does not end
function depth(n: number): number {
  return depth(n + 1) + 1;
}
export default depth(0);
