// Rank 0 awaits a promise nobody resolves while rank 1 waits in an all-reduce for it (was: "the
// worker exited (code 0) without a report — out of memory?").
// exit: 2
// message: rank 0 awaits a promise that never settles (after promise-never-settles.ts:12), while rank 1 waits in a collective for it
// message: rank 1: waits in all_reduce [4] float32 op=sum on tp[0,1]
// message: promise-never-settles.ts:12
// absent: out of memory
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    const x = rank.ones([4]);
    if (rank.rank === 0) await new Promise(() => {});
    await rank.comm.allReduce(x, { axis: 'tp' });
  },
});
