// Seed 003 §3.1: both layers row-parallel.
//   fc1: W1 split along dim 0 → W1ᵢ [256, 4096]; X is split along its last dim (no comm), and
//        Y = Σᵢ Xᵢ·W1ᵢ needs an all-reduce of the whole [8, 128, 4096] — four times Col+Row's.
//   fc2: W2 split along dim 0 → W2ᵢ [1024, 1024]; Y is whole on every rank, split again (no comm),
//        then the all-reduce of [8, 128, 1024].
//   backward: each split's gradient is an all-gather (of dX [8, 128, 1024] and dY [8, 128, 4096]).
// Run: npx autodist compare examples/ffn_strategies/*.ts
import { simulation, RowParallelLinear, models } from 'autodist';

export default simulation({
  name: 'FFN Row+Row, TP=4',
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 1024 }),
  input: { batch: 8, seq: 128 }, // X [8, 128, 1024]
  parallelize(model, { tp, weights }) {
    model.fc1 = new RowParallelLinear(weights.fc1.split(0, tp), { inputIsParallel: false }); // Y [B, S, 4H] after the all-reduce
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: false }); // Z [B, S, H] after the all-reduce
  },
});
