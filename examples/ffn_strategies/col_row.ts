// Seed 003 §1–2: Linear1 column-parallel, Linear2 row-parallel (Megatron's choice).
//   fc1: W1 [1024, 4096] split along dim 1 → W1ᵢ [1024, 1024]; Yᵢ = GeLU(X·W1ᵢ) [8, 128, 1024], no comm
//   fc2: W2 [4096, 1024] split along dim 0 → W2ᵢ [1024, 1024]; Z = Σᵢ Yᵢ·W2ᵢ: one all-reduce of [8, 128, 1024]
//   backward: fc1's dX is a partial sum on each rank: one all-reduce of [8, 128, 1024]
// Run: npx autodist compare examples/ffn_strategies/*.ts
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';

export default simulation({
  name: 'FFN Col+Row, TP=4',
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 1024 }), // fc1 [1024, 4096], fc2 [4096, 1024]
  input: { batch: 8, seq: 128 }, // X [8, 128, 1024]
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false }); // Y_i [B, S, 4H/tp]
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true }); // Z [B, S, H] after the all-reduce
  },
});
