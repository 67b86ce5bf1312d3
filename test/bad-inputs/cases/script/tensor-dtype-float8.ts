// A tensor made with a dtype AutoDist does not know, inside a rank's program.
// exit: 2
// message: unknown dtype "float8"
// message: tensor-dtype-float8.ts:9
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  program(rank) {
    rank.zeros([4], 'float8' as any);
  },
});
