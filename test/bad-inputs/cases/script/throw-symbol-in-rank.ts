// Every rank throws a Symbol.
// exit: 2
// message: ranks 0, 1 threw the symbol Symbol(nope), not an Error
// message: fix: throw new Error
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  program() {
    throw Symbol('nope');
  },
});
