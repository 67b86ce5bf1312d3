// A hand-written row-parallel layer with a classic bug: the bias is added on every rank BEFORE
// the all-reduce sums the partial products, so the output carries (tp − 1) extra copies of it.
// The e2e suite expects the Problems panel to flag the `add(matmul(...))` line below.
import { simulation, ColumnParallelLinear, Module, add, matmul, models, type FFN, type Tensor } from 'autodist';

/** Y = XA + b; A split along dim 0 (rows); fwd: all-reduce of the partial products (bias too early!). */
class MyRowParallelLinear extends Module {
  constructor(
    public weight: Tensor, // [F/tp, H]
    public bias: Tensor, // [H]
  ) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const y = add(matmul(x, this.weight), this.bias); // [B, S, H] partial sum + bias: BUG, bias before the all-reduce
    return x.ctx.comm.allReduce(y, { axis: 'tp' }); // [B, S, H]
  }
}

export default simulation({
  name: 'FFN with the bias added before the all-reduce, TP=4',
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 128 }),
  input: { batch: 2, seq: 16 }, // X [2, 16, 128]
  parallelize(model, { tp, weights }) {
    const ffn = model as FFN;
    ffn.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false }); // W1 [128, 128] per rank
    const w2 = weights.fc2.split(0, tp); // W2 [128, 128] per rank
    ffn.fc2 = new MyRowParallelLinear(w2.weight, w2.bias!);
  },
});
