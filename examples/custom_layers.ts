// Your own Megatron-style layers, written against the communication primitives. AutoDist gives
// them the same shapes, ledger, verification and source lines as its own.
import { simulation, Module, models, ops, type Tensor } from 'autodist';

/** Y_i = X·A_i (+ b_i); A split along dim 1. fwd: none; bwd: all-reduce of dX (Megatron's f). */
class MyColumnParallelLinear extends Module {
  constructor(public weight: Tensor, public bias: Tensor | null) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const xin = x.ctx.comm.copyToGroup(x, { axis: 'tp' }); // identity forward, all-reduce of dX backward
    const y = ops.matmul(xin, this.weight); // [B, S, F/tp]
    return this.bias ? ops.add(y, this.bias) : y;
  }
}

/** Y = Σ_i X_i·A_i + b; A split along dim 0. fwd: all-reduce; bwd: none. */
class MyRowParallelLinear extends Module {
  constructor(public weight: Tensor, public bias: Tensor | null) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const y = await x.ctx.comm.allReduce(ops.matmul(x, this.weight), { axis: 'tp' }); // [B, S, H]
    return this.bias ? ops.add(y, this.bias) : y; // the bias once, after the sum
  }
}

export default simulation({
  name: 'FFN TP=4 with my own parallel layers',
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 256 }),
  input: { batch: 4, seq: 32 },
  parallelize(model, { tp, weights }) {
    const w1 = weights.fc1.split(1, tp);
    const w2 = weights.fc2.split(0, tp);
    model.fc1 = new MyColumnParallelLinear(w1.weight, w1.bias);
    model.fc2 = new MyRowParallelLinear(w2.weight, w2.bias);
  },
});
