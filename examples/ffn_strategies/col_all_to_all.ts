// Seed 003 §3.2 suggests an all-to-all between two column-parallel layers. Tried here: after fc1,
// each rank holds Yᵢ [8, 128, 1024] (a quarter of the columns, every sample). An all-to-all that
// splits the batch and joins the columns gives rank i the whole [2, 128, 4096] for its two
// samples; fc2, column-parallel and gathered, then an all-gather along the batch, should put
// Z [8, 128, 1024] on every rank.
// It does not verify, and AutoDist names fc2's output first: each rank still holds only a
// quarter of W2's columns, so fc2's all-gather of its output columns joins columns computed on
// *different* samples (rank j's block comes from rank j's two samples). `--dump` shows it: the
// eight rows of sim/fc2.out repeat with period 2 and match no row of ref/fc2.out. The backward
// is wrong too: the column-parallel dX all-reduce sums input gradients of different samples.
// After an all-to-all to whole rows, fc2 would need the whole W2 on each rank (data
// parallelism) — Col+Row needs no exchange at all.
// Run: npx autodist compare examples/ffn_strategies/*.ts
import { simulation, ColumnParallelLinear, Module, models, type Comm, type Tensor } from 'autodist';

/**
 * fc2 after an all-to-all: Yᵢ [B, S, 4H/tp] → [B/tp, S, 4H] (split the batch, join the columns),
 * then a column-parallel, gathered linear: Z for this rank's samples [B/tp, S, H], and an
 * all-gather of the samples so every rank holds the whole Z [B, S, H].
 */
class AllToAllThenColumn extends Module {
  constructor(private readonly comm: Comm, public inner: ColumnParallelLinear) {
    super();
  }

  async forward(y: Tensor): Promise<Tensor> {
    const mine = await this.comm.allToAll(y, { axis: 'tp', splitDim: 0, concatDim: 2 }); // [B/tp, S, 4H]
    const z = await this.inner.call(mine); // [B/tp, S, H]
    return this.comm.allGather(z, { axis: 'tp', dim: 0 }); // [B, S, H]
  }
}

export default simulation({
  name: 'FFN Col+all-to-all+Col, TP=4 (does not verify)',
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 1024 }),
  input: { batch: 8, seq: 128 }, // X [8, 128, 1024]
  parallelize(model, { tp, comm, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false }); // Y_i [B, S, 4H/tp]
    model.fc2 = new AllToAllThenColumn(comm, new ColumnParallelLinear(weights.fc2.split(1, tp), { gatherOutput: true })); // Z [B, S, H]
  },
});
