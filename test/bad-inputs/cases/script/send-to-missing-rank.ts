// A send to a rank that does not exist.
// exit: 2
// message: rank 5
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.send(rank.ones([4]), 5);
  },
});
