// A numeric tensor of 10^12 values: refused at its line, with meta mode as the way out.
// exit: 2
// message: a tensor of shape [1000000, 1000000] holds 1.00e+12 values, too many to hold in numeric mode
// message: tensor-too-large.ts:10
// message: fix: simulate shapes, bytes and time only with --meta
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  program(rank) {
    rank.zeros([1e6, 1e6]);
  },
});
