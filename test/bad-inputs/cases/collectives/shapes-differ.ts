// An all-reduce of [4] on rank 0 and [5] on rank 1.
// exit: 2
// message: different shapes in call #1 on group tp[0,1] (all_reduce)
// message: rank 1: passed all_reduce [5] float32 op=sum at
// message: shapes-differ.ts:12
// message: fix: every member of a collective must pass the same shape
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    const x = rank.ones([rank.rank === 0 ? 4 : 5]);
    await rank.comm.allReduce(x, { axis: 'tp' });
  },
});
