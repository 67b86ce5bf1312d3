// Seed 003: the Transformer FFN, tensor-parallel over 4 ranks, written by hand (Megatron style).
//   X [B, S, d] → fc1: W1 [d, 4d] (column-parallel) → GeLU → fc2: W2 [4d, d] (row-parallel) → Z [B, S, d]
// Run: npx autodist simulate examples/ffn_tp4.ts   (add --meta for shapes, bytes and time only)
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';

export default simulation({
  name: 'seed-003 FFN, TP=4',
  mesh: { tp: 4 },
  model: models.ffn({ hidden: 1024 }), // fc1 [1024, 4096], fc2 [4096, 1024]
  input: { batch: 8, seq: 128 }, // X [8, 128, 1024]
  parallelize(model, { tp, weights }) {
    // runs on every rank; `weights` is the dense checkpoint, `tp` this rank's place on the tp axis
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false }); // W1 [1024, 1024] per rank, out [B, S, 4d/tp]
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true }); // W2 [1024, 1024] per rank, all-reduce of [B, S, d]
  },
});
