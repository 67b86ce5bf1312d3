// An endless loop that makes tensors: stopped by the run itself at the rank and line.
// exit: 2
// args: --timeout 2
// message: time limit of 2 s exceeded while rank 1 ran op-loop.ts:11
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    let x = rank.ones([4]);
    if (rank.rank === 1) for (;;) x = rank.ones([4]);
    await rank.comm.allReduce(x, { axis: 'tp' });
  },
});
