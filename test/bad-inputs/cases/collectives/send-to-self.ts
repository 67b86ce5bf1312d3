// Each rank sends to itself.
// exit: 2
// message: ranks 0, 1: a send to itself
// message: send-to-self.ts:10
// message: fix: address peers by global rank, not by stage number: the pp-axis neighbour rank.comm.peer("pp", +1)
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.send(rank.ones([4]), rank.rank);
  },
});
