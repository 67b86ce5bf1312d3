// A broadcast whose root is not in the group.
// exit: 2
// message: broadcast root 3 is not in group tp[0,1]
// message: broadcast-root-outside.ts:10
// message: fix: pick a root among ranks 0-1
import { simulation } from 'autodist';
export default simulation({
  mesh: { dp: 2, tp: 2 },
  async program(rank) {
    await rank.comm.broadcast(rank.ones([4]), { axis: 'tp', src: 3 });
  },
});
