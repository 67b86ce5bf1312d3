// A reduce-scatter of 5 elements over 2 ranks.
// exit: 2
// message: dim 0 of [5] (5) does not divide by the group size 2
// message: fix: scatter along a dim whose size is a multiple of 2
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.reduceScatter(rank.ones([5]), { axis: 'tp', dim: 0 });
  },
});
