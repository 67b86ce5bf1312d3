// The seed's Problem 4, by module name on every rank: attention q/k/v column-parallel (split per
// q, k and v block and per head), output projection row-parallel; MLP up column-, down row-parallel.
import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';

export default simulation({
  name: 'GPT-2 TP=2 by hand',
  mesh: { tp: 2 },
  model: models.gpt2({ nLayer: 2, nEmbd: 64, nHead: 4, vocab: 256, nPositions: 64 }),
  input: { batch: 2, seq: 32 },
  parallelize(model, { tp, weights }) {
    for (const [name] of model.namedModules()) {
      if (name.endsWith('attn.c_attn')) model.set(name, new ColumnParallelLinear(weights[name].splitFused(3, tp))); // [H, 3H/tp] = q_i|k_i|v_i
      else if (name.endsWith('attn.c_proj')) model.set(name, new RowParallelLinear(weights[name].split(0, tp))); // [H/tp, H]
      else if (name.endsWith('mlp.c_fc')) model.set(name, new ColumnParallelLinear(weights[name].split(1, tp))); // [H, 4H/tp]
      else if (name.endsWith('mlp.c_proj')) model.set(name, new RowParallelLinear(weights[name].split(0, tp))); // [4H/tp, H]
    }
  },
});
