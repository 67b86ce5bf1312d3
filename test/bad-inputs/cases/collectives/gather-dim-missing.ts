// An all-gather along a dim the tensor does not have.
// exit: 2
// message: dim 3 is out of range for [4]
// message: gather-dim-missing.ts:10
// message: fix: use a dim in [-1, 0]
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allGather(rank.ones([4]), { axis: 'tp', dim: 3 });
  },
});
