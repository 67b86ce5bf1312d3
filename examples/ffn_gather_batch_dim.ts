// The seed's wording for ColumnParallelLinear(gather_output=True): "all_gather … concatenated
// along the batch dimension". Column shards split the LAST dim, so gathering them along the batch
// dim (0) gives [tp·B, S, 4d/tp] instead of [B, S, 4d]. AutoDist names the wrong dim at the gather.
import { simulation, Module, RowParallelLinear, models, ops, type Tensor } from 'autodist';

class SeedColumnParallelLinear extends Module {
  constructor(public weight: Tensor /* [d, 4d/tp] */) {
    super();
  }

  async forward(x: Tensor): Promise<Tensor> {
    const comm = x.ctx.comm;
    const y = ops.matmul(comm.copyToGroup(x, { axis: 'tp' }), this.weight); // [B, S, 4d/tp]
    return comm.allGather(y, { axis: 'tp', dim: 0 }); // BUG: the seed's batch dim; should be dim 2
  }
}

export default simulation({
  name: 'FFN TP=2, column outputs gathered along the batch dim',
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 128, bias: false }),
  input: { batch: 4, seq: 16 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new SeedColumnParallelLinear(weights.fc1.split(1, tp).weight);
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: false });
  },
});
