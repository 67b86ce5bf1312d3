// An FFN trained in PyTorch, simulated at TP=2 on the batch torch saw: its nn.Linear state dict
// (weights [out, in], loaded in torch's layout) and the batch it was given, both saved from torch
// by make_fixture.py. AutoDist's unsharded reference reproduces torch's loss (expected.json); the
// sharded run is checked against it.
// Run: npx autodist simulate examples/torch_batch/ffn_from_torch.ts --dump tensors.safetensors
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';

export default simulation({
  name: 'FFN from a torch state dict and batch, TP=2',
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }), // fc1 [16, 64], fc2 [64, 16] (AutoDist's [in, out])
  weights: { file: 'ffn_torch.safetensors', layout: 'torch' }, // fc1.weight [64, 16] in the file: [out, in]
  input: {
    batch: 2,
    seq: 4,
    data: 'batch.safetensors#input', // X [2, 4, 16] (or 'input.npy')
    labels: 'batch.safetensors#labels', // T [2, 4, 16]
  },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp)); // W1 [16, 32] per rank
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp)); // W2 [32, 16] per rank, all-reduce of [B, S, H]
  },
});
