// A rank throws a plain object.
// exit: 2
// message: rank 1 threw an object {code, why}, not an Error
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  program(rank) {
    if (rank.rank === 1) throw { code: 7, why: 'mine' };
  },
});
