// The same Llama at TP=4: its 2 kv heads cannot be split over 4 ranks (each would hold half a
// head). AutoDist refuses before running, at the plan line that splits k_proj.
import { simulation, models } from 'autodist';

export default simulation({
  name: 'Llama GQA TP=4 (kv heads not divisible)',
  mesh: { tp: 4 },
  model: models.llama({ nLayer: 2, hidden: 128, nHead: 8, nKvHead: 2, ffnHidden: 256, vocab: 256, maxPositions: 64 }),
  input: { batch: 2, seq: 32 },
  plan: {
    'model.layers.*.self_attn.q_proj': 'colwise',
    'model.layers.*.self_attn.k_proj': 'colwise',
    'model.layers.*.self_attn.v_proj': 'colwise',
    'model.layers.*.self_attn.o_proj': 'rowwise',
  },
});
