// A row-parallel layer that forgets the all-reduce: every rank keeps its partial sum X_i·W_i.
// AutoDist: "each rank holds a partial sum of the output; their sum equals the unsharded result".
import { simulation, ColumnParallelLinear, Module, models, ops, type Tensor } from 'autodist';

class RowParallelLinearNoReduce extends Module {
  constructor(public weight: Tensor /* [4d/tp, d] */) {
    super();
  }

  async forward(x: Tensor): Promise<Tensor> {
    return ops.matmul(x, this.weight); // BUG: no all-reduce of the partial products
  }
}

export default simulation({
  name: 'FFN TP=2 without the row-parallel all-reduce',
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 128, bias: false }),
  input: { batch: 4, seq: 16 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
    model.fc2 = new RowParallelLinearNoReduce(weights.fc2.split(0, tp).weight);
  },
});
