// GPT-2's c_attn is one fused weight [H, 3H] = [W_q | W_k | W_v]. Splitting it by contiguous
// columns gives rank 0 [W_q | ½W_k] and rank 1 [½W_k | W_v]: each rank's "q, k, v" mix blocks.
// The shapes all line up, so only the numbers can tell — AutoDist flags the attention output and
// points at the split; the fix is weights[name].splitFused(3, tp) (per q/k/v, per head).
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';

export default simulation({
  name: 'GPT-2 TP=2 with a naive fused-QKV split',
  mesh: { tp: 2 },
  model: models.gpt2({ nLayer: 2, nEmbd: 64, nHead: 4, vocab: 256, nPositions: 64 }),
  input: { batch: 2, seq: 32 },
  parallelize(model, { tp, weights }) {
    for (const [name] of model.namedModules()) {
      if (name.endsWith('attn.c_attn')) model.set(name, new ColumnParallelLinear(weights[name].split(1, tp))); // BUG: contiguous split of q|k|v
      else if (name.endsWith('attn.c_proj')) model.set(name, new RowParallelLinear(weights[name].split(0, tp)));
    }
  },
});
