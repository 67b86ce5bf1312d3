import { runSimulation, simulation } from '../src/parallel/index.js';
import { llama } from '../src/models/llama.js';
(async () => {
  const model = llama({ nLayer: 80, hidden: 8192, nHead: 64, nKvHead: 8, ffnHidden: 28672, vocab: 128256, maxPositions: 8192 });
  const plan = { 'model.layers.*.self_attn.q_proj': 'colwise', 'model.layers.*.self_attn.k_proj': 'colwise', 'model.layers.*.self_attn.v_proj': 'colwise', 'model.layers.*.self_attn.o_proj': 'rowwise',
    'model.layers.*.mlp.gate_proj': 'colwise', 'model.layers.*.mlp.up_proj': 'colwise', 'model.layers.*.mlp.down_proj': 'rowwise' } as const;
  const t0 = performance.now();
  const r = await runSimulation(simulation({ mesh: { dp: 8, pp: 8, tp: 8 }, mode: 'meta', dtype: 'bfloat16', model, input: { batch: 256, seq: 4096, microbatches: 32 }, schedule: '1F1B', plan }));
  console.log('wall ms', performance.now() - t0, r.errors.map(e => e.message), 'ledger', r.collectives.length, 'events', r.timeline.events.length, r.timeline.truncated, 'step s', r.timeline.stepTimeUs / 1e6, r.pipeline?.bubbleMeasured, r.pipeline?.bubbleFormula, 'mem GB', r.memory.perRank[0].peakBytes / 1e9);
})();
