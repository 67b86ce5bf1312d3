// A collective called without await that then fails (the shapes differ): the mismatch, both lines.
// exit: 2
// message: different shapes in call #1 on group tp[0,1] (all_reduce)
// message: rank 0: passed all_reduce [5] float32 op=sum at forgotten-await-fails.ts:10
// absent: exited (code
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    if (rank.rank === 0) rank.comm.allReduce(rank.ones([5]), { axis: 'tp' });
    else rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    await new Promise((r) => setTimeout(r, 20));
  },
});
