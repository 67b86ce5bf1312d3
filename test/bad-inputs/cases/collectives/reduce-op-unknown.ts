// An all-reduce with a reduce op that does not exist (it was silently summed before).
// exit: 2
// message: ranks 0, 1: all_reduce has no reduce op "median"
// message: reduce-op-unknown.ts:9
// message: fix: use op "sum" (the default), "avg", "max" or "min"
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  program: (rank) => rank.comm.allReduce(rank.ones([4]), { axis: 'tp', op: 'median' as any }),
});
