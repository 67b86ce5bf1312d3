// A rank throws undefined after an op: no stack of its own, so the error names the last line
// the rank ran.
// exit: 2
// message: rank 1 threw undefined, not an Error
// message: the last line it ran before the throw
// message: throw-undefined-after-op.ts:11
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  program(rank) {
    const x = rank.ones([4]);
    if (rank.rank === 1) throw undefined;
    return x;
  },
});
