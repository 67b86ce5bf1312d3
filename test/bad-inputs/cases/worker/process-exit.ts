// process.exit() in a rank's program: named, at its line; the other rank's state too.
// exit: 2
// message: rank 0 called process.exit(3)
// message: process-exit.ts:10
// absent: out of memory
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    if (rank.rank === 0) process.exit(3);
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
  },
});
