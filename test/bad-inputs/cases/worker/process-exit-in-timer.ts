// process.exit() in a timer callback, while both ranks wait.
// exit: 2
// message: the script called process.exit(0) in a timer or callback
// message: process-exit-in-timer.ts:10
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    if (rank.rank === 0) setTimeout(() => process.exit(0), 5);
    await new Promise((r) => setTimeout(r, 1000));
  },
});
