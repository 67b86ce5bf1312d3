import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2 } from '../../src/models/gpt2.js';
import { runSimulation, simulation } from '../../src/parallel/index.js';
import { useBackend } from '../helpers/backend.js';

/**
 * What the report's idle and bubble figures mean: idle is time with no compute and no blocking
 * communication (a send posted while the rank computes is not idle; waiting for the end of an
 * overlapped collective is blocking communication); with uneven stages the
 * bubble comes with the estimate the stages' own times give.
 */

before(async () => {
  await useBackend();
});

const model = (nLayer: number) => gpt2({ nLayer, nEmbd: 64, nHead: 4, vocab: 64, nPositions: 32 });

test('interleaved 1F1B, v = 4: idle matches the measured bubble (idle / step = b / (1 + b) per stage), not 0', async () => {
  const r = await runSimulation(simulation({ mesh: { pp: 4 }, mode: 'meta', model: model(16), input: { batch: 8, seq: 32, microbatches: 8 }, schedule: 'Interleaved1F1B', stages: { virtual: 4 } }));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const pl = r.pipeline!;
  const fromBubble = pl.bubblePerStage.reduce((a, b) => a + b / (1 + b), 0) / pl.stages;
  const idle = r.timeline.bubbleFraction;
  assert.ok(idle > 0.1, `idle ${idle}`);
  // the bubble also counts the receives as idle; idle counts them as blocking communication
  assert.ok(idle <= fromBubble + 1e-9, `idle ${idle} vs bubble ${fromBubble}`);
  // idle, from the events: the step minus the union of compute and non-send communication intervals
  const step = r.timeline.stepTimeUs;
  let sum = 0;
  for (let rank = 0; rank < r.mesh.worldSize; rank++) {
    const iv = r.timeline.events.filter((e) => e.rank === rank && (e.kind === 'compute' || (e.kind === 'comm' && e.name !== 'send'))).map((e) => [e.startUs, e.endUs]).sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let end = -Infinity;
    for (const [a, b] of iv) {
      if (b <= end) continue;
      covered += b - Math.max(a, end);
      end = b;
    }
    sum += (step - covered) / step;
  }
  assert.ok(Math.abs(idle - sum / r.mesh.worldSize) < 1e-9, `idle ${idle} vs ${sum / r.mesh.worldSize} from the events`);
  const sends = r.timeline.events.filter((e) => e.kind === 'comm' && e.name === 'send');
  assert.ok(sends.length > 0, 'the run has sends (which would otherwise count as busy)');
});

test('uneven stages (5 layers on 2 stages): the report gives the uneven-stage estimate, and it is the measured bubble', async () => {
  // wide enough that compute, not the sends' latency, sets the pace
  const wide = gpt2({ nLayer: 5, nEmbd: 1024, nHead: 8, vocab: 64, nPositions: 512 });
  const r = await runSimulation(simulation({ mesh: { pp: 2 }, mode: 'meta', model: wide, input: { batch: 8, seq: 512, microbatches: 8 }, schedule: '1F1B' }));
  assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
  const pl = r.pipeline!;
  assert.ok(pl.bubbleUneven !== undefined, 'stages are uneven');
  assert.equal(pl.stageBusyUs?.length, 2);
  assert.ok(Math.abs(pl.bubbleUneven! - pl.bubbleMeasured) < 0.03, `estimate ${pl.bubbleUneven} vs measured ${pl.bubbleMeasured} (formula ${pl.bubbleFormula}; busy ${pl.stageBusyUs})`);
  assert.ok(Math.abs(pl.bubbleUneven! - pl.bubbleFormula) > 0.03, 'and it differs from (p−1)/m');
});

test('equal stages: no uneven-stage estimate', async () => {
  // wide layers, 4 per stage, so the embedding and the head (on the first and last stage) are small
  // beside them; at a tiny width the GEMM model's fixed per-kernel cost makes the edge stages differ by 20 %
  const wide = gpt2({ nLayer: 8, nEmbd: 1024, nHead: 8, vocab: 64, nPositions: 512 });
  const r = await runSimulation(simulation({ mesh: { pp: 2 }, mode: 'meta', model: wide, input: { batch: 8, seq: 512, microbatches: 8 }, schedule: '1F1B' }));
  assert.equal(r.pipeline!.bubbleUneven, undefined, JSON.stringify(r.pipeline!.stageBusyUs));
});

test('the compute waiting for an overlapped tensor-parallel collective is blocking communication, not idle: tp4 without a pipeline, idle 0', async () => {
  const gpt = gpt2({ nLayer: 2, nEmbd: 64, nHead: 4, vocab: 256, nPositions: 64 });
  const plan = { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' } as const;
  const r = await runSimulation(simulation({ mesh: { tp: 4 }, mode: 'meta', model: gpt, input: { batch: 2, seq: 32 }, plan }));
  assert.equal(r.errors.length, 0);
  // the small dX all-reduces outlast their weight-gradient GEMMs: the compute waits for the tp stream
  const waited = r.timeline.events.filter((e) => e.name === 'wait tp stream').reduce((a, e) => a + e.endUs - e.startUs, 0);
  assert.ok(waited > 0, 'waited for the tp stream');
  assert.ok(r.timeline.perRank[0].waitUs >= waited - 1e-9);
  assert.ok(r.timeline.bubbleFraction < 1e-9, `idle ${r.timeline.bubbleFraction}`); // was 2.6 % when the waits counted as idle
});
