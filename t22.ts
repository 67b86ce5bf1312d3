import { gpt2 } from './src/models/gpt2.js';
import { makeSetup } from './src/planner/setup.js';
import { estimateTime } from './src/planner/time.js';
function st(layers: number, sp: boolean, rc: string, ov: string) {
  const spec = gpt2({ nLayer: layers, nEmbd: 6144, nHead: 64, vocab: 51200, nPositions: 2048 });
  const setup = makeSetup({ model: { id: 'x', dropout: true, spec }, seq: 2048, globalBatch: 4, gpus: 8, gpu: 'a100', options: { attention: 'unfused', overlapGradReduce: false, tpOverlap: ov as any } });
  const t = estimateTime(setup, { tp: 8, pp: 1, dp: 1, microBatch: 4, schedule: '1F1B', virtual: 1, sequenceParallel: sp, recompute: rc as any, zero: 0 });
  return t;
}
for (const ov of ['backward', 'none']) for (const [name, sp, rc] of [['baseline', false, 'none'], ['SP', true, 'none'], ['full', false, 'full'], ['selective', false, 'selective'], ['sel+SP', true, 'selective']] as const) {
  const a = st(48, sp, rc, ov), b = st(24, sp, rc, ov);
  const sa = a.stages[0], sb = b.stages[0];
  const per = (k: string) => (((sa as any)[k] - (sb as any)[k]) / 24 / 1000).toFixed(2);
  const fw = ((sa.forwardUs - sb.forwardUs) / 24 / 1000);
  const tot = ((sa.perMicrobatchUs - sb.perMicrobatchUs) / 24 / 1000);
  console.log(ov.padEnd(9), name.padEnd(10), 'fwd', fw.toFixed(2), 'bwd', (tot - fw).toFixed(2), 'tot', tot.toFixed(2), '| gemm', per('computeUs'), 'kern', per('kernelsUs'), 'tp', per('tpCommUs'), '| fixed', ((a.stepUs - 48 * tot * 1000) / 1e3).toFixed(1), 'ms');
}
