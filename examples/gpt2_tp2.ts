// A small GPT-2, tensor-parallel over 2 ranks by a plan (PyTorch DTensor style names):
// attention and MLP input projections split by columns, output projections by rows, so each
// block does one all-reduce forward (after c_proj) and one backward (dX of c_attn / c_fc).
// Run: npx autodist simulate examples/gpt2_tp2.ts --html gpt2.html
import { simulation, models } from 'autodist';

export default simulation({
  name: 'GPT-2 (4 layers, 256 wide), TP=2',
  mesh: { tp: 2 },
  model: models.gpt2({ nLayer: 4, nEmbd: 256, nHead: 8, vocab: 2048, nPositions: 128 }),
  input: { batch: 4, seq: 64 },
  plan: {
    'h.*.attn.c_attn': 'colwise', // W [256, 768] → [256, 384] per rank, q|k|v split per block
    'h.*.attn.c_proj': 'rowwise', // W [256, 256] → [128, 256] per rank, all-reduce forward
    'h.*.mlp.c_fc': 'colwise', // W [256, 1024] → [256, 512] per rank
    'h.*.mlp.c_proj': 'rowwise', // W [1024, 256] → [512, 256] per rank, all-reduce forward
  },
});
