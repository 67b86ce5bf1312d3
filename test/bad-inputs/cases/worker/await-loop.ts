// An endless loop of awaits (timers): the time limit lists who waits where and who still runs.
// exit: 2
// args: --timeout 2
// message: time limit of 2 s exceeded with rank 1 still running
// message: rank 0: waits in all_reduce [4] float32 op=sum on tp[0,1] (call #2 on that group) at await-loop.ts:12
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    if (rank.rank === 1) for (;;) await new Promise((r) => setTimeout(r, 10));
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
  },
});
