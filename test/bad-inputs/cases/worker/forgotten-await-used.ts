// A collective's result used without await (was: a TypeError or "RangeError: Invalid array length").
// exit: 2
// message: ranks 0, 1 passed a Promise to all_gather where a tensor goes — a missing await?
// message: forgotten-await-used.ts:10
// absent: requireData
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    const y = rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    return rank.comm.allGather(y as any, { axis: 'tp', dim: 0 });
  },
});
