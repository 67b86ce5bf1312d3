// A script in a folder with a space, its name with non-ASCII characters and a space (was reported
// as "✓.ts:12").
// exit: 2
// message: ünï cødé ✓.ts:12
// json-error: ünï cødé ✓.ts:12
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
    if (rank.rank === 1) {
      throw new Error('at my own line');
    }
  },
});
