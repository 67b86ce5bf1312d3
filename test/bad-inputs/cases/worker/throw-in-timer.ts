// An error thrown in a timer callback (was: "the simulation worker failed: boom").
// exit: 2
// message: an error was thrown in a timer or callback, outside every rank's program: Error: boom in a timer
// message: throw-in-timer.ts:13
// absent: the simulation worker failed
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    if (rank.rank === 0) {
      setTimeout(() => {
        throw new Error('boom in a timer');
      }, 5);
    }
    await new Promise((r) => setTimeout(r, 500));
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
  },
});
