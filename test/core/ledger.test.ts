import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { simulate, ops, type LedgerEntry, type SimOptions, type RankProgram, type SimResult } from '../../src/core/index.js';

/**
 * The traffic ledger, checked against byte counts derived by hand (nccl-tests accounting, made
 * per rank). Sizes are the seed-003 FFN's: B=8, S=128, d=1024, fp32 — run in meta mode, where no
 * data is allocated.
 */

before(async () => {
  await useBackend();
});

const B = 8;
const S = 128;
const D = 1024;
/** Elements of one [B, S, d] activation: 1,048,576. */
const E = B * S * D;
/** Its fp32 bytes: 4,194,304. */
const BYTES = E * 4;

/** The line this helper is called from (call it on the same line as the collective). */
function lineHere(): number {
  const frame = new Error().stack!.split('\n')[2];
  const m = /:(\d+):\d+\)?$/.exec(frame);
  assert.ok(m, `cannot read a line from "${frame}"`);
  return Number(m[1]);
}

async function run<R>(opts: Partial<SimOptions> & Pick<SimOptions, 'mesh'>, program: RankProgram<R>): Promise<SimResult> {
  const res = await simulate({ mode: 'meta', ...opts }, program);
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return res;
}

function only(res: SimResult): LedgerEntry {
  assert.equal(res.ledger.length, 1, `exactly one ledger entry, got ${res.ledger.map((e) => e.op).join(', ')}`);
  return res.ledger[0];
}

const repeat = (v: number, n: number): number[] => new Array<number>(n).fill(v);

describe('seed-003 FFN all_reduce (fp32, B=8, S=128, d=1024)', () => {
  /** Megatron FFN on {tp}: column-parallel W1 [d, 4d/tp], row-parallel W2 [4d/tp, d], one all-reduce of Y. */
  const ffn = (tp: number): RankProgram => async (rank) => {
    const x = rank.randn([B, S, D], { key: 'x' }); // [B, S, H]
    const w1 = rank.param(rank.randn([D, (4 * D) / tp], { key: `w1/${rank.coord('tp')}` }), 'w1'); // [H, F/tp]
    const w2 = rank.param(rank.randn([(4 * D) / tp, D], { key: `w2/${rank.coord('tp')}` }), 'w2'); // [F/tp, H]
    const h = ops.gelu(ops.matmul(x, w1)); // [B, S, F/tp]
    const yPartial = ops.matmul(h, w2); // [B, S, H]
    return rank.comm.allReduce(yPartial, { axis: 'tp' }); // [B, S, H]
  };

  test('P=4: one ring all-reduce of 1,048,576 elements; 6,291,456 bytes sent per rank', async () => {
    const e = only(await run({ mesh: { tp: 4 } }, ffn(4)));
    assert.equal(e.op, 'all_reduce');
    assert.equal(e.reduceOp, 'sum');
    assert.equal(e.dtype, 'float32');
    assert.deepEqual(e.shape, [8, 128, 1024]);
    assert.equal(e.elements, 1_048_576);
    assert.equal(e.bytes, 4_194_304);
    assert.equal(e.algorithm, 'ring');
    // ring: reduce-scatter then all-gather, each rank sends 2·(n−1) chunks of S/n: 2·3/4·1,048,576 = 1,572,864 elements
    assert.equal(e.sentBytesPerRank, 6_291_456);
    assert.equal(e.sentBytesPerRank, 1_572_864 * 4);
    assert.deepEqual(e.sentBytes, repeat(6_291_456, 4));
    assert.deepEqual(e.recvBytes, repeat(6_291_456, 4));
    assert.equal(e.wireBytes, 25_165_824);
    assert.equal(e.steps, 6);
    assert.equal(e.axis, 'tp');
    assert.equal(e.group, 'tp[0,1,2,3]');
    assert.deepEqual(e.ranks, [0, 1, 2, 3]);
    assert.equal(e.phase, 'forward');
    assert.equal(e.link, 'nvlink');
    assert.ok(e.timeUs > 0);
  });

  test('P=8: 2·7/8·S = 7,340,032 bytes per rank in 14 steps', async () => {
    const e = only(await run({ mesh: { tp: 8 } }, ffn(8)));
    assert.equal(e.elements, 1_048_576);
    assert.equal(e.bytes, 4_194_304);
    assert.equal(e.sentBytesPerRank, 7_340_032); // 2 · 7/8 · 4,194,304
    assert.deepEqual(e.sentBytes, repeat(7_340_032, 8));
    assert.equal(e.wireBytes, 58_720_256); // 8 · 7,340,032 = 2·(n−1)·S
    assert.equal(e.steps, 14);
  });

  test('P=4 with backward through copyToGroup: a second, identical all-reduce in phase backward', async () => {
    const res = await run({ mesh: { tp: 4 } }, async (rank) => {
      const x = rank.randn([B, S, D], { key: 'x', requiresGrad: true }); // [B, S, H]
      const xc = rank.comm.copyToGroup(x, { axis: 'tp' }); // f: identity fwd, all-reduce bwd
      const w = rank.param(rank.randn([D, D], { key: `w/${rank.rank}` })); // [H, H]
      const y = await rank.comm.allReduce(ops.matmul(xc, w), { axis: 'tp' }); // g: all-reduce fwd
      await rank.backward(ops.sum(y));
    });
    assert.deepEqual(res.ledger.map((e) => [e.op, e.phase, e.bytes, e.sentBytesPerRank]), [
      ['all_reduce', 'forward', 4_194_304, 6_291_456],
      ['all_reduce', 'backward', 4_194_304, 6_291_456],
    ]);
  });
});

describe('hand-derived bytes of every collective (P=4, S = 4,194,304 bytes)', () => {
  test('all_gather: each rank forwards every chunk but one, (n−1)/n·S, n−1 steps', async () => {
    const e = only(await run({ mesh: { tp: 4 } }, (rank) => rank.comm.allGather(rank.randn([B, S, D / 4]), { axis: 'tp', dim: -1 })));
    assert.equal(e.op, 'all_gather');
    assert.equal(e.elements, E, 'size = the gathered output');
    assert.equal(e.bytes, BYTES);
    assert.deepEqual(e.shape, [8, 128, 256], 'shape = what each rank passed');
    assert.deepEqual(e.sentBytes, repeat(3_145_728, 4)); // 3/4 · 4,194,304
    assert.deepEqual(e.recvBytes, repeat(3_145_728, 4));
    assert.equal(e.wireBytes, 12_582_912);
    assert.equal(e.steps, 3);
    assert.equal(e.algorithm, 'ring');
  });

  test('reduce_scatter: (n−1)/n·S of the full input, n−1 steps', async () => {
    const e = only(await run({ mesh: { tp: 4 } }, (rank) => rank.comm.reduceScatter(rank.randn([B, S, D]), { axis: 'tp', dim: 1 })));
    assert.equal(e.op, 'reduce_scatter');
    assert.equal(e.elements, E, 'size = the full input');
    assert.equal(e.bytes, BYTES);
    assert.equal(e.sentBytesPerRank, 3_145_728);
    assert.deepEqual(e.sentBytes, repeat(3_145_728, 4));
    assert.equal(e.wireBytes, 12_582_912);
    assert.equal(e.steps, 3);
  });

  test('broadcast from rank 2: a chain 2→3→0→1, every rank but the last (rank 1) sends S', async () => {
    const e = only(await run({ mesh: { tp: 4 } }, (rank) => rank.comm.broadcast(rank.randn([B, S, D]), { axis: 'tp', src: 2 })));
    assert.equal(e.op, 'broadcast');
    assert.equal(e.elements, E);
    assert.deepEqual(e.sentBytes, [BYTES, 0, BYTES, BYTES]);
    assert.deepEqual(e.recvBytes, [BYTES, BYTES, 0, BYTES], 'the root receives nothing');
    assert.equal(e.sentBytesPerRank, 4_194_304);
    assert.equal(e.wireBytes, 3 * 4_194_304);
    assert.equal(e.steps, 3);
  });

  test('reduce to rank 1: the mirror chain 0→3→2→1, every rank but the root sends S', async () => {
    const e = only(await run({ mesh: { tp: 4 } }, (rank) => rank.comm.reduce(rank.randn([B, S, D]), { axis: 'tp', dst: 1 })));
    assert.equal(e.op, 'reduce');
    assert.deepEqual(e.sentBytes, [BYTES, 0, BYTES, BYTES]);
    assert.deepEqual(e.recvBytes, [0, BYTES, BYTES, BYTES], 'the chain’s far end (rank 0) receives nothing');
    assert.equal(e.wireBytes, 12_582_912);
  });

  test('broadcast on an explicit group counts in group order', async () => {
    const res = await run({ mesh: { tp: 4 } }, (rank) => rank.comm.broadcast(rank.randn([10]), { group: rank.mesh.group([3, 1, 0, 2]), src: 1 }));
    const e = only(res);
    assert.deepEqual(e.ranks, [3, 1, 0, 2]);
    // chain from member 1 (rank 1): members 1 → 2 → 3 → 0; member 0 (rank 3) is last
    assert.deepEqual(e.sentBytes, [0, 40, 40, 40]);
    assert.deepEqual(e.recvBytes, [40, 0, 40, 40]);
  });

  test('all_to_all: one rank’s send buffer is the size; each rank sends its 3 foreign quarters', async () => {
    const e = only(await run({ mesh: { tp: 4 } }, (rank) => rank.comm.allToAll(rank.randn([B, S, D]), { axis: 'tp', splitDim: 0, concatDim: 1 })));
    assert.equal(e.op, 'all_to_all');
    assert.equal(e.elements, E);
    assert.equal(e.algorithm, 'direct');
    assert.deepEqual(e.sentBytes, repeat(3_145_728, 4));
    assert.deepEqual(e.recvBytes, repeat(3_145_728, 4));
    assert.equal(e.steps, 3);
  });

  test('send_recv: the sender sends S, the receiver receives S, one step', async () => {
    const e = only(
      await run({ mesh: { pp: 2 } }, async (rank) => {
        if (rank.rank === 0) await rank.comm.send(rank.randn([B, S, D]), 1, { tag: 3 });
        else await rank.comm.recv({ shape: [B, S, D] }, 0, { tag: 3 });
      }),
    );
    assert.equal(e.op, 'send_recv');
    assert.deepEqual(e.ranks, [0, 1]);
    assert.equal(e.group, 'p2p[0->1]');
    assert.equal(e.axis, 'pp');
    assert.equal(e.tag, 3);
    assert.equal(e.elements, E);
    assert.equal(e.bytes, BYTES);
    assert.deepEqual(e.sentBytes, [BYTES, 0]);
    assert.deepEqual(e.recvBytes, [0, BYTES]);
    assert.equal(e.sentBytesPerRank, BYTES);
    assert.equal(e.wireBytes, BYTES);
    assert.equal(e.steps, 1);
    assert.equal(e.algorithm, 'direct');
  });

  test('direct all_reduce (per-op algorithm option): 2 steps, 2·(n−1)/n·S per rank', async () => {
    const e = only(await run({ mesh: { tp: 4 }, algorithm: { all_reduce: 'direct' } }, (rank) => rank.comm.allReduce(rank.randn([B, S, D]), { axis: 'tp' })));
    assert.equal(e.algorithm, 'direct');
    assert.deepEqual(e.sentBytes, repeat(6_291_456, 4));
    assert.equal(e.steps, 2);
  });

  test('bfloat16 halves every byte count', async () => {
    const e = only(await run({ mesh: { tp: 4 } }, (rank) => rank.comm.allReduce(rank.randn([B, S, D], { dtype: 'bfloat16' }), { axis: 'tp' })));
    assert.equal(e.elements, E);
    assert.equal(e.bytes, 2_097_152);
    assert.deepEqual(e.sentBytes, repeat(3_145_728, 4));
    assert.equal(e.wireBytes, 12_582_912);
  });

  test('a group of one moves nothing', async () => {
    const e = only(await run({ mesh: { tp: 1 } }, (rank) => rank.comm.allReduce(rank.randn([B, S, D]), { axis: 'tp' })));
    assert.equal(e.bytes, BYTES);
    assert.deepEqual(e.sentBytes, [0]);
    assert.equal(e.wireBytes, 0);
    assert.equal(e.steps, 0);
  });
});

describe('tree all_reduce (NCCL double binary tree)', () => {
  // Each tree carries half the buffer, h = S/2. In a heap-shaped tree, a non-root sends its half
  // up once (reduce) and a node sends it down once per child (broadcast). Tree A puts rank r at
  // position r, tree B (the mirror) at position n−1−r.
  test('n=4: positions 0..3 have 2, 1, 0, 0 children; every rank sends 3h = 1.5·S; total 6·S; 4 steps', async () => {
    // tree A: r0 (root) 2h, r1 h+h, r2 h, r3 h;  tree B: r3 2h, r2 2h, r1 h, r0 h  →  3h each
    const e = only(await run({ mesh: { tp: 4 }, algorithm: 'tree' }, (rank) => rank.comm.allReduce(rank.randn([B, S, D]), { axis: 'tp' })));
    assert.equal(e.algorithm, 'tree');
    assert.deepEqual(e.sentBytes, repeat(6_291_456, 4)); // 1.5 · 4,194,304
    assert.deepEqual(e.recvBytes, repeat(6_291_456, 4));
    assert.equal(e.sentBytesPerRank, 6_291_456);
    assert.equal(e.wireBytes, 25_165_824); // 6 · S
    assert.equal(e.steps, 4); // 2 · depth 2
  });

  test('n=8: uneven per rank, 1.5·S or 2·S; total 14·S; 6 steps', async () => {
    // children by position: 0:2, 1:2, 2:2, 3:1, 4..7:0
    // tree A: r0 2h, r1 3h, r2 3h, r3 2h, r4..r7 h;  tree B mirrors it: r7 2h, r6 3h, r5 3h, r4 2h, r3..r0 h
    const h = BYTES / 2;
    const e = only(await run({ mesh: { tp: 8 }, algorithm: 'tree' }, (rank) => rank.comm.allReduce(rank.randn([B, S, D]), { axis: 'tp' })));
    assert.deepEqual(e.sentBytes, [3 * h, 4 * h, 4 * h, 3 * h, 3 * h, 4 * h, 4 * h, 3 * h]);
    assert.equal(e.sentBytesPerRank, 8_388_608); // 2 · S
    assert.equal(e.wireBytes, 14 * BYTES);
    assert.equal(e.steps, 6); // 2 · depth 3
  });

  test('odd element count: the trees carry ⌈E/2⌉ and ⌊E/2⌋', async () => {
    // E = 11: tree A carries 6 elements (24 B), tree B 5 (20 B)
    // r0: A root 2·24 + B leaf 20 = 68; r1: A 24+24 + B 20 = 68; r2: A 24 + B 20+20 = 64; r3: A 24 + B 2·20 = 64
    const e = only(await run({ mesh: { tp: 4 }, algorithm: 'tree' }, (rank) => rank.comm.allReduce(rank.randn([11]), { axis: 'tp' })));
    assert.deepEqual(e.sentBytes, [68, 68, 64, 64]);
    assert.deepEqual(e.recvBytes, [68, 68, 64, 64]);
    assert.equal(e.wireBytes, 2 * 3 * 44);
  });
});

describe('element counts that do not divide by n', () => {
  // Ring all-reduce: at step s rank i sends chunk (i−s) mod n in the reduce-scatter (every chunk
  // but (i+1) mod n) and chunk (i+1−s) mod n in the all-gather (every chunk but (i+2) mod n).
  test('E=10 on 4 ranks: chunks 3,3,2,2', async () => {
    const e = only(await run({ mesh: { tp: 4 } }, (rank) => rank.comm.allReduce(rank.randn([10]), { axis: 'tp' })));
    // rank 0: 20 − c1 − c2 = 15; rank 1: 20 − c2 − c3 = 16; rank 2: 20 − c3 − c0 = 15; rank 3: 20 − c0 − c1 = 14
    assert.deepEqual(e.sentBytes, [60, 64, 60, 56]);
    // rank i receives what rank i−1 sends
    assert.deepEqual(e.recvBytes, [56, 60, 64, 60]);
    assert.equal(e.sentBytesPerRank, 64);
    assert.equal(e.wireBytes, 240); // 2·(n−1)·E·4
    assert.equal(e.bytes, 40);
    assert.equal(e.steps, 6);
  });

  test('E=5 on 8 ranks: chunks 1,1,1,1,1,0,0,0', async () => {
    const e = only(await run({ mesh: { tp: 8 } }, (rank) => rank.comm.allReduce(rank.randn([5]), { axis: 'tp' })));
    // sent[i] = 10 − c[i+1] − c[i+2] elements
    assert.deepEqual(e.sentBytes, [8, 8, 8, 9, 10, 10, 9, 8].map((x) => x * 4));
    assert.equal(e.wireBytes, 2 * 7 * 5 * 4);
  });

  test('broadcast is not chunked: 7 elements on 3 ranks send 28 bytes per link', async () => {
    const e = only(await run({ mesh: { tp: 3 } }, (rank) => rank.comm.broadcast(rank.randn([7]), { axis: 'tp', src: 0 })));
    assert.deepEqual(e.sentBytes, [28, 28, 0]);
  });
});

describe('labels on entries', () => {
  test('phases: forward, backward (from backward()), and a user phase via withPhase', async () => {
    const res = await run({ mesh: { tp: 2 }, mode: 'numeric' }, async (rank) => {
      const w = rank.param(rank.randn([2, 2], { key: 'w' }), 'w');
      const x = rank.comm.copyToGroup(w, { axis: 'tp' });
      const y = await rank.comm.allReduce(ops.mul(x, x), { axis: 'tp', label: 'fwd' });
      await rank.backward(ops.sum(y));
      await rank.withPhase('optimizer', async () => {
        await rank.comm.allReduce(w.grad!, { axis: 'tp', op: 'avg', label: 'grad sync' });
      });
      await rank.comm.barrier();
    });
    assert.deepEqual(res.ledger.map((e) => [e.op, e.phase, e.label]), [
      ['all_reduce', 'forward', 'fwd'],
      ['all_reduce', 'backward', 'copy_to_region.backward'],
      ['all_reduce', 'optimizer', 'grad sync'],
      ['barrier', 'forward', undefined],
    ]);
    assert.deepEqual(res.ledger.map((e) => e.seq), [0, 1, 2, 3]);
  });

  test('axis names: mesh axes, explicit groups, the world, and p2p along one axis', async () => {
    const res = await run({ mesh: { dp: 2, tp: 2 } }, async (rank) => {
      const x = rank.randn([4]);
      await rank.comm.allReduce(x, { axis: 'tp' });
      await rank.comm.allReduce(x, { axis: 'dp' });
      await rank.comm.allReduce(x);
      await rank.comm.allReduce(x, { group: rank.mesh.group([0, 1, 2, 3]) });
      // p2p: 0→1 differs in tp only; 0→3 differs in dp and tp
      if (rank.rank === 0) {
        await rank.comm.send(x, 1);
        await rank.comm.send(x, 3);
      }
      if (rank.rank === 1) await rank.comm.recv(x, 0);
      if (rank.rank === 3) await rank.comm.recv(x, 0);
    });
    const by = (g: string) => res.ledger.filter((e) => e.group === g).map((e) => e.axis);
    assert.deepEqual(by('tp[0,1]'), ['tp']);
    assert.deepEqual(by('tp[2,3]'), ['tp']);
    assert.deepEqual(by('dp[0,2]'), ['dp']);
    assert.deepEqual(by('dp[1,3]'), ['dp']);
    assert.deepEqual(by('world'), [undefined]);
    assert.deepEqual(by('ranks[0,1,2,3]'), [undefined]);
    assert.deepEqual(by('p2p[0->1]'), ['tp']);
    assert.deepEqual(by('p2p[0->3]'), [undefined]);
    assert.equal(res.ledger.length, 8);
  });

  test('source lines point at the calling line of this file; per-rank lines are on the trace', async () => {
    const lines: number[][] = [[], []];
    const res = await run({ mesh: { tp: 2 }, mode: 'numeric' }, async (rank) => {
      const x = rank.randn([3], { key: `x${rank.rank}` });
      await rank.comm.allReduce(x, { axis: 'tp' }); lines[rank.rank].push(lineHere());
      if (rank.rank === 0) {
        await rank.comm.allGather(x, { axis: 'tp' }); lines[0].push(lineHere());
        await rank.comm.send(x, 1); lines[0].push(lineHere());
      } else {
        await rank.comm.allGather(x, { axis: 'tp' }); lines[1].push(lineHere());
        await rank.comm.recv(x, 0); lines[1].push(lineHere());
      }
    });
    assert.equal(lines[0][0], lines[1][0]);
    assert.notEqual(lines[0][1], lines[1][1]);
    for (const e of res.ledger) assert.match(e.source?.file ?? '', /test\/core\/ledger\.test\.ts$/);
    // the entry carries the first member's line (rank 0); send_recv carries the sender's
    assert.deepEqual(res.ledger.map((e) => e.source?.line), [lines[0][0], lines[0][1], lines[0][2]]);
    // each rank's comm event on the trace carries its own line
    for (const r of [0, 1]) {
      const comm = res.trace.filter((t) => t.rank === r && t.kind === 'comm');
      assert.deepEqual(comm.map((t) => t.source?.line), lines[r], `rank ${r}`);
    }
  });

  test('time: every entry takes time, a later collective starts after the earlier one ended', async () => {
    const res = await run({ mesh: { tp: 4 } }, async (rank) => {
      const x = rank.randn([B, S, D]);
      await rank.comm.allReduce(x, { axis: 'tp' });
      await rank.comm.allGather(x, { axis: 'tp' });
    });
    const [a, b] = res.ledger;
    assert.ok(a.timeUs > 0 && b.timeUs > 0);
    assert.ok(b.startUs >= a.startUs + a.timeUs);
  });

  test('links: a group inside a node is nvlink, one spanning two nodes (gpusPerNode: 2) is nic', async () => {
    const res = await run({ mesh: { dp: 2, tp: 2 }, gpusPerNode: 2 }, async (rank) => {
      const x = rank.randn([B, S, D]);
      await rank.comm.allReduce(x, { axis: 'tp' }); // [0,1] and [2,3]: one node each
      await rank.comm.allReduce(x, { axis: 'dp' }); // [0,2] and [1,3]: across the two nodes
      if (rank.rank === 0) {
        await rank.comm.send(x, 1);
        await rank.comm.send(x, 2);
      } else if (rank.rank === 1 || rank.rank === 2) await rank.comm.recv(x, 0);
    });
    const link = (g: string) => res.ledger.find((e) => e.group === g)!.link;
    assert.equal(link('tp[0,1]'), 'nvlink');
    assert.equal(link('tp[2,3]'), 'nvlink');
    assert.equal(link('dp[0,2]'), 'nic');
    assert.equal(link('dp[1,3]'), 'nic');
    assert.equal(link('p2p[0->1]'), 'nvlink');
    assert.equal(link('p2p[0->2]'), 'nic');
    // same bytes, slower link
    const tp = res.ledger.find((e) => e.group === 'tp[0,1]')!;
    const dp = res.ledger.find((e) => e.group === 'dp[0,2]')!;
    assert.equal(tp.bytes, dp.bytes);
    assert.ok(dp.timeUs > tp.timeUs);
    // with 8 GPUs per node (the default) the dp group stays on NVLink
    const one = await run({ mesh: { dp: 2, tp: 2 } }, (rank) => rank.comm.allReduce(rank.randn([4]), { axis: 'dp' }));
    assert.deepEqual(one.ledger.map((e) => e.link), ['nvlink', 'nvlink']);
  });
});
