// Rank 0 all-reduces while rank 1 all-gathers.
// exit: 2
// message: different collectives in call #1 on group tp[0,1] (all_reduce)
// message: ops-differ.ts:12
// message: fix: every member must issue the same collectives in the same order
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    const x = rank.ones([4]);
    if (rank.rank === 0) await rank.comm.allReduce(x, { axis: 'tp' });
    else await rank.comm.allGather(x, { axis: 'tp', dim: 0 });
  },
});
