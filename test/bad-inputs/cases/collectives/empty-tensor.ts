// An all-gather of a [0, 4] tensor: legal (torch allows empty tensors), so it runs.
// exit: 0
// message: ran without errors
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    const x = rank.zeros([0, 4]);
    await rank.comm.allGather(x, { axis: 'tp', dim: 0 });
  },
});
