// Seed 003 §3.2: both layers column-parallel.
//   fc1: W1 split along dim 1 → W1ᵢ [1024, 1024]; Yᵢ [8, 128, 1024], but fc2 needs all of Y:
//        an all-gather of [8, 128, 4096].
//   fc2: W2 split along dim 1 → W2ᵢ [4096, 256]; Zᵢ [8, 128, 256], all-gathered to [8, 128, 1024].
//   backward: each column layer's dX is a partial sum: all-reduces of [8, 128, 4096] and [8, 128, 1024].
// Run: npx autodist compare examples/ffn_strategies/*.ts
import { simulation, ColumnParallelLinear, models } from 'autodist';

export default simulation({
  name: 'FFN Col+Col, TP=4',
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 1024 }),
  input: { batch: 8, seq: 128 }, // X [8, 128, 1024]
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: true }); // Y [B, S, 4H] after the all-gather
    model.fc2 = new ColumnParallelLinear(weights.fc2.split(1, tp), { gatherOutput: true }); // Z [B, S, H] after the all-gather
  },
});
