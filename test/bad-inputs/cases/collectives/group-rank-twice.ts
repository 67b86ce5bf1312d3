// A group that lists rank 0 twice.
// exit: 2
// message: ranks 0, 1: rank 0 appears twice in the group [0, 1, 0]
// message: group-rank-twice.ts:10
// message: fix: list each rank once
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    const g = rank.mesh.group([0, 1, 0]);
    await rank.comm.allReduce(rank.ones([4]), { group: g });
  },
});
