// An all-reduce of float32 on rank 0 and int32 on rank 1.
// exit: 2
// message: different dtypes in call #1 on group tp[0,1] (all_reduce)
// message: dtypes-differ.ts:10
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    const x = rank.ones([4], rank.rank === 0 ? 'float32' : 'int32');
    await rank.comm.allReduce(x, { axis: 'tp' });
  },
});
