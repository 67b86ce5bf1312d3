// A promise of the script's own that rejects with nothing awaiting it.
// exit: 2
// message: a promise rejected and nothing awaited it — a missing await? Error: lost
// absent: exited (code
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    if (rank.rank === 0) Promise.reject(new Error('lost'));
    await new Promise((r) => setTimeout(r, 200));
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
  },
});
