// A number passed to a collective.
// exit: 2
// message: passed the number 3 to all_reduce where a tensor goes
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allReduce(3 as any, { axis: 'tp' });
  },
});
