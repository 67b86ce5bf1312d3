// A collective over an axis the mesh does not have.
// exit: 2
// message: unknown mesh axis "xp"
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allReduce(rank.ones([4]), { axis: 'xp' });
  },
});
