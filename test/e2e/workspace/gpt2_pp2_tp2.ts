// GPT-2 (4 layers, 256 wide) on a 2 × 2 mesh: two pipeline stages of two tensor-parallel ranks,
// 1F1B over 4 microbatches (the e2e suite's pipeline example; NORTH-STAR §3).
import { simulation, models } from 'autodist';

export default simulation({
  name: 'GPT-2 (4 layers, 256 wide), PP=2 × TP=2, 1F1B',
  mesh: { pp: 2, tp: 2 },
  model: models.gpt2({ nLayer: 4, nEmbd: 256, nHead: 8, vocab: 2048 }),
  input: { batch: 8, seq: 128, microbatches: 4 },
  schedule: '1F1B',
  stages: { method: 'uniform' },
  plan: {
    'h.*.attn.c_attn': 'colwise', // W [256, 768] → [256, 384] per rank
    'h.*.attn.c_proj': 'rowwise', // W [256, 256] → [128, 256] per rank, all-reduce forward
    'h.*.mlp.c_fc': 'colwise', // W [256, 1024] → [256, 512] per rank
    'h.*.mlp.c_proj': 'rowwise', // W [1024, 256] → [512, 256] per rank, all-reduce forward
  },
});
