// Each rank sends to itself.
// exit: 2
// message: ranks 0, 1: a send to itself
// message: send-to-self.ts:10
// message: fix: name another rank: rank.comm.peer("tp", +1)
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.send(rank.ones([4]), rank.rank);
  },
});
