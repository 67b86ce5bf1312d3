// Column outputs gathered along the batch dim: the precise diagnosis at the person's line is on
// the terminal, not only in the JSON; the downstream error's fix is not "split the weight".
// exit: 2
// message: the 2 shards were concatenated along dim 0 (batch) but they split dim 2 — gather along dim 2
// message: gather-batch-dim.ts:15
// absent: fix: split the weight along dim 0
import { simulation, Module, RowParallelLinear, models, ops, type Tensor } from 'autodist';
class Col extends Module {
  constructor(readonly weight: Tensor) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const comm = x.ctx.comm;
    const y = ops.matmul(comm.copyToGroup(x, { axis: 'tp' }), this.weight); // [B, S, 4d/tp]
    return comm.allGather(y, { axis: 'tp', dim: 0 }); // the batch dim; should be dim 2
  }
}
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16, bias: false }),
  input: { batch: 2, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new Col(weights.fc1.split(1, tp).weight);
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: false });
  },
});
