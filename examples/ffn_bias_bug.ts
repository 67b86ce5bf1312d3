// A deliberately wrong row-parallel layer: the bias is added on every rank BEFORE the
// all-reduce sums the partial products, so it ends up counted tp times.
// AutoDist's verdict: "output of fc2 differs … the bias is added on each of 4 ranks before the
// all-reduce sums them" — reported at the line that adds it.
import { simulation, ColumnParallelLinear, Module, models, ops, type Tensor } from 'autodist';

/** My row-parallel linear: Y = Σ_i X_i·W_i + b … almost. */
class MyRowParallelLinear extends Module {
  constructor(
    public weight: Tensor, // [4d/tp, d]
    public bias: Tensor, // [d]
  ) {
    super();
  }

  async forward(x: Tensor): Promise<Tensor> {
    const partial = ops.add(ops.matmul(x, this.weight), this.bias); // BUG: bias before the sum
    return x.ctx.comm.allReduce(partial, { axis: 'tp' }); // [B, S, d]
  }
}

export default simulation({
  name: 'FFN TP=4 with the bias added before the all-reduce',
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 256 }),
  input: { batch: 4, seq: 32 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
    const w2 = weights.fc2.split(0, tp); // rows of W2, and the whole bias
    model.fc2 = new MyRowParallelLinear(w2.weight, w2.bias!);
  },
});
