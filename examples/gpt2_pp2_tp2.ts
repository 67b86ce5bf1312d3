// GPT-2 on a 2 × 2 mesh: two pipeline stages (h.0–h.1 | h.2–h.3), each tensor-parallel over 2
// ranks, 1F1B with 4 micro-batches. The timeline shows the 1F1B pattern and its bubble next to
// (p−1)/m = 1/4.
import { simulation, models } from 'autodist';

export default simulation({
  name: 'GPT-2 TP=2 × PP=2, 1F1B',
  mesh: { pp: 2, tp: 2 },
  model: models.gpt2({ nLayer: 4, nEmbd: 256, nHead: 8, vocab: 2048, nPositions: 128 }),
  input: { batch: 8, seq: 128, microbatches: 4 },
  schedule: '1F1B',
  stages: { method: 'uniform' },
  plan: {
    'h.*.attn.c_attn': 'colwise',
    'h.*.attn.c_proj': 'rowwise',
    'h.*.mlp.c_fc': 'colwise',
    'h.*.mlp.c_proj': 'rowwise',
  },
});
