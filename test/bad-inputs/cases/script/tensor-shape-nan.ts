// A tensor whose shape holds NaN (a division gone wrong).
// exit: 2
// message: the shape [4, NaN] holds NaN; sizes are whole numbers ≥ 0
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  program(rank) {
    rank.zeros([4, 0 / 0]);
  },
});
