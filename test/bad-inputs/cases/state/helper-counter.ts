// A counter in an imported helper module, bumped by each rank's program: per rank, as in
// separate processes, so every rank reads 1.
// exit: 0
// message: ran without errors
import { simulation } from 'autodist';
import { next } from './helpers/_counter';
export default simulation({
  mesh: { dp: 2, tp: 2 },
  async program(rank) {
    const k = next();
    if (k !== 1) throw new Error(`rank ${rank.rank} read the shared counter as ${k}`);
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
  },
});
