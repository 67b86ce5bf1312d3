// An endless loop that never calls AutoDist nor awaits: the time limit names the rank and the
// loop's line (the thread is paused to read it), and what was recorded before stays.
// exit: 2
// args: --timeout 2
// message: time limit of 2 s exceeded in a loop that never calls AutoDist nor awaits: rank 1 loops at busy-loop.ts:16
// json-error: busy-loop.ts:16
// json-ledger: 2
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' }); // within the batcher's 50 ms: queued, flushed on the stop
    let i = 0;
    if (rank.rank === 1) {
      while (i >= 0) i = (i + 1) % 1000;
    }
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
  },
});
