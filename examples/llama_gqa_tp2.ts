// Llama with grouped-query attention (8 query heads sharing 2 kv heads), RoPE, RMSNorm, SwiGLU,
// tensor-parallel over 2 ranks: each rank holds 4 query heads and 1 kv head.
import { simulation, models } from 'autodist';

export default simulation({
  name: 'Llama GQA TP=2',
  mesh: { tp: 2 },
  model: models.llama({ nLayer: 2, hidden: 128, nHead: 8, nKvHead: 2, ffnHidden: 256, vocab: 256, maxPositions: 64 }),
  input: { batch: 2, seq: 32 },
  plan: {
    'model.layers.*.self_attn.q_proj': 'colwise',
    'model.layers.*.self_attn.k_proj': 'colwise',
    'model.layers.*.self_attn.v_proj': 'colwise',
    'model.layers.*.self_attn.o_proj': 'rowwise',
    'model.layers.*.mlp.gate_proj': 'colwise',
    'model.layers.*.mlp.up_proj': 'colwise',
    'model.layers.*.mlp.down_proj': 'rowwise',
  },
});
