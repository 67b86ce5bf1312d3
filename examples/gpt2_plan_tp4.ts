// GPT-2 at TP=4 with a parallelize_module-style plan keyed by module names.
import { simulation, models } from 'autodist';

export default simulation({
  name: 'GPT-2 TP=4 by plan',
  mesh: { tp: 4 },
  model: models.gpt2({ nLayer: 2, nEmbd: 64, nHead: 4, vocab: 256, nPositions: 64 }),
  input: { batch: 2, seq: 32 },
  plan: {
    'h.*.attn.c_attn': 'colwise', // fused q|k|v: split per block and per head
    'h.*.attn.c_proj': 'rowwise',
    'h.*.mlp.c_fc': 'colwise',
    'h.*.mlp.c_proj': 'rowwise',
    wte: 'vocab', // vocab-parallel embedding …
    lm_head: 'colwise', // … and the tied head with vocab-parallel cross-entropy
  },
});
