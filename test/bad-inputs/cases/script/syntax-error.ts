// A syntax error: named at its line.
// exit: 2
// message: syntax error in syntax-error.ts
// message: syntax-error.ts:8
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 }
  program() {},
});
