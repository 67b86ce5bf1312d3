// Each rank receives from itself.
// exit: 2
// message: ranks 0, 1: a receive from itself
// message: recv-from-self.ts:9
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.recv({ shape: [4] }, rank.rank);
  },
});
