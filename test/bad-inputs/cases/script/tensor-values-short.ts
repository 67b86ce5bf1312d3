// Three values for a [2, 2] tensor.
// exit: 2
// message: 3 values do not fill the shape [2, 2] (4 elements)
// message: tensor-values-short.ts:9
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  program(rank) {
    rank.tensor([1, 2, 3], [2, 2]);
  },
});
