import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { DTYPE_BYTES, Mesh, collectiveTimeUs, getHardware, simulate, trafficOf, type CollectiveOp, type LedgerEntry, type RankContext, type ReduceOp, type SimEvent, type SimResult, type TraceEvent } from '../../src/core/index.js';
import { beginSegment, endSegment, replaySegment } from '../../src/core/segment.js';

/**
 * The ledger and the trace are kept in columns (ledger-log.ts, trace-log.ts); consumers get plain
 * objects. Every entry and event a run gives must equal, field by field and in the same key
 * order, what building it by hand gives — on the folded path (a rank alone in its groups: the
 * compact records), on the unfolded path (every rank runs: rounds), in the event stream, and in
 * replayed stretches.
 */

before(async () => {
  await useBackend();
});

const MESH = { dp: 2, tp: 4 };
const HW = getHardware('h100-sxm');
const X = [4, 8, 16]; // [B, S, H]

/** One collective of the program below, with everything its ledger entry and comm event need. */
interface Call {
  readonly op: CollectiveOp | 'barrier';
  readonly axis: 'dp' | 'tp';
  readonly shape: readonly number[];
  readonly out: readonly number[];
  readonly reduceOp?: ReduceOp;
  readonly dim?: number;
  readonly splitDim?: number;
  readonly concatDim?: number;
  /** Index of the root in rank 0's group. */
  readonly rootIdx?: number;
  readonly phase: string;
  readonly module?: string;
  readonly label?: string;
  readonly tag?: string;
}

const CALLS: readonly Call[] = [
  { op: 'all_reduce', axis: 'tp', shape: X, out: X, reduceOp: 'sum', phase: 'forward', tag: 'mb0' },
  { op: 'all_reduce', axis: 'tp', shape: X, out: X, reduceOp: 'avg', phase: 'forward', module: 'h.0.mlp', label: 'reduce_from_tp_region', tag: 'mb0' },
  { op: 'all_gather', axis: 'tp', shape: X, out: [4, 32, 16], dim: 1, phase: 'backward', module: 'h.0.attn', tag: 'mb0' },
  { op: 'reduce_scatter', axis: 'dp', shape: X, out: [2, 8, 16], reduceOp: 'sum', dim: 0, phase: 'backward' },
  { op: 'broadcast', axis: 'tp', shape: X, out: X, rootIdx: 1, phase: 'forward' },
  { op: 'all_to_all', axis: 'tp', shape: X, out: [4, 2, 64], splitDim: 1, concatDim: 2, phase: 'forward' },
  { op: 'barrier', axis: 'dp', shape: [], out: [], phase: 'optimizer' },
  // the same kind from new tensors, in a module named '' (the entry says undefined, the event '')
  ...[0, 1, 2].map((): Call => ({ op: 'all_reduce', axis: 'tp', shape: X, out: X, reduceOp: 'sum', phase: 'forward', module: '' })),
  // more kinds than a group remembers (16), cycled twice
  ...[0, 1].flatMap(() => Array.from({ length: 20 }, (_, i): Call => ({ op: 'all_reduce', axis: 'dp', shape: [i + 1, 3], out: [i + 1, 3], reduceOp: 'max', phase: 'forward', label: `l${i % 3}` }))),
];

/** Issue `c` on `ctx` (in its phase, module and tag). */
async function issue(ctx: RankContext, c: Call): Promise<void> {
  const prevPhase = ctx.phase;
  ctx.phase = c.phase;
  ctx.tag = c.tag;
  const go = async () => {
    const comm = ctx.comm;
    const x = ctx.zeros(c.shape.length ? c.shape : [1]);
    const opt = { axis: c.axis, label: c.label };
    if (c.op === 'all_reduce') await comm.allReduce(x, { ...opt, op: c.reduceOp });
    else if (c.op === 'all_gather') await comm.allGather(x, { ...opt, dim: c.dim });
    else if (c.op === 'reduce_scatter') await comm.reduceScatter(x, { ...opt, dim: c.dim, op: c.reduceOp });
    else if (c.op === 'broadcast') await comm.broadcast(x, { ...opt, src: comm.group(opt).ranks[c.rootIdx!] });
    else if (c.op === 'all_to_all') await comm.allToAll(x, { ...opt, splitDim: c.splitDim, concatDim: c.concatDim });
    else await comm.barrier(opt);
  };
  if (c.module === undefined) await go();
  else await ctx.inModule(c.module, go);
  ctx.phase = prevPhase;
}

const program = async (ctx: RankContext) => {
  for (const c of CALLS) await issue(ctx, c);
};

const run = (fold: string[], onEvent?: (e: SimEvent) => void) => simulate({ mesh: MESH, mode: 'meta', sources: 'none', traceCompute: false, fold, onEvent }, program);

/** Nccl-tests size of a call (see LedgerEntry). */
function elementsOf(c: Call, n: number): number {
  if (c.op === 'barrier') return 0;
  const e = c.shape.reduce((p, d) => p * d, 1);
  return c.op === 'all_gather' ? e * n : e;
}

/**
 * Rank 0's ledger entries and comm events for CALLS, built by hand in the order the engine has
 * always written their fields; `seqs[k]` is call k's ledger seq, `t0` the clock it starts at.
 */
function expected(multiplicity: (axis: string) => number, seqs: readonly number[], t0 = 0): { ledger: LedgerEntry[]; trace: TraceEvent[] } {
  const mesh = new Mesh(MESH);
  const ledger: LedgerEntry[] = [];
  const trace: TraceEvent[] = [];
  let clock = t0;
  CALLS.forEach((c, k) => {
    const g = mesh.axisGroup(c.axis, 0);
    const n = g.ranks.length;
    const elements = elementsOf(c, n);
    const op = c.op as CollectiveOp;
    const traffic = trafficOf(op, op === 'all_to_all' ? 'direct' : 'ring', n, elements, DTYPE_BYTES.float32, c.rootIdx ?? 0);
    const bytes = elements * 4;
    const cost = collectiveTimeUs({ op, algorithm: traffic.algorithm, ranks: g.ranks, bytes, hw: HW, gpusPerNode: HW.gpusPerNode });
    const start = clock;
    clock = start + cost.timeUs;
    ledger.push({
      seq: seqs[k],
      op,
      reduceOp: c.reduceOp,
      axis: g.axis,
      group: g.id,
      ranks: g.ranks,
      phase: c.phase,
      dtype: 'float32',
      shape: c.shape,
      elements,
      bytes,
      algorithm: traffic.algorithm,
      sentBytes: traffic.sent,
      recvBytes: traffic.recv,
      sentBytesPerRank: Math.max(0, ...traffic.sent),
      wireBytes: traffic.sent.reduce((a, b) => a + b, 0),
      steps: traffic.steps,
      link: cost.link,
      startUs: start,
      timeUs: cost.timeUs,
      source: undefined,
      label: c.label,
      module: c.module || undefined,
      multiplicity: multiplicity(c.axis),
    });
    trace.push({ rank: 0, kind: 'comm', name: op, phase: c.phase, startUs: start, endUs: start + cost.timeUs, inShapes: [c.shape], outShape: c.out, flops: undefined, ledgerSeq: seqs[k], source: undefined, module: c.module, tag: c.tag });
  });
  return { ledger, trace };
}

/** deepStrictEqual, and the same keys in the same order (what JSON and the panel see). */
function assertSameObjects<T extends object>(got: readonly T[], want: readonly T[], what: string): void {
  assert.equal(got.length, want.length, `${what}: count`);
  got.forEach((g, i) => {
    assert.equal(Object.getPrototypeOf(g), Object.prototype, `${what} ${i} is a plain object`);
    assert.deepEqual(Object.keys(g), Object.keys(want[i]), `${what} ${i}: keys`);
    assert.deepStrictEqual(g, want[i], `${what} ${i}`);
  });
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('ledger and trace logs: what consumers see', () => {
  test('folded (rank 0 alone in its groups): entries and comm events equal their construction by hand', async () => {
    const r = await run(['dp', 'tp']);
    assert.equal(r.ok, true, r.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(r.folded.representatives, [0]);
    // a tp group stands for the dp copies of it, and a dp group for the tp copies
    const want = expected((axis) => (axis === 'tp' ? MESH.dp : MESH.tp), range(CALLS.length));
    assertSameObjects(r.ledger, want.ledger, 'ledger entry');
    assertSameObjects(r.trace, want.trace, 'trace event');
    assert.equal(r.ledger, r.ledger, 'the result materialises once');
    for (const e of [...r.ledger, ...r.trace]) assert.deepStrictEqual(structuredClone(e), e, 'survives structured clone');
  });

  test('unfolded (every rank runs, rounds of live members): rank 0 sees the same entries and events', async () => {
    const r = await run([]);
    assert.equal(r.ok, true, r.errors.map((e) => e.message).join('\n'));
    const mine = r.ledger.filter((e) => e.ranks.includes(0));
    const want = expected(() => 1, mine.map((e) => e.seq));
    assertSameObjects(mine, want.ledger, 'ledger entry');
    assertSameObjects(r.trace.filter((e) => e.rank === 0), want.trace, 'trace event');
  });

  test("members whose phase or module differ from the entry's keep their own on their comm events", async () => {
    const phaseOf = (r: number) => (r < 2 ? 'forward' : 'backward');
    const moduleOf = (r: number) => (r === 3 ? 'other' : 'mlp');
    const r = await simulate({ mesh: { tp: 4 }, mode: 'meta', sources: 'none', traceCompute: false }, async (ctx) => {
      const x = ctx.zeros(X);
      ctx.tag = `mb${ctx.rank % 2}`;
      ctx.phase = phaseOf(ctx.rank);
      await ctx.inModule(moduleOf(ctx.rank), () => ctx.comm.allReduce(x, { axis: 'tp' }));
    });
    assert.equal(r.ok, true, r.errors.map((e) => e.message).join('\n'));
    const [e] = r.ledger;
    assert.equal(r.ledger.length, 1);
    assert.equal(e.phase, 'forward', "the entry has the first member's phase");
    assert.equal(e.module, 'mlp');
    const want: TraceEvent[] = [0, 1, 2, 3].map((rank) => ({ rank, kind: 'comm', name: 'all_reduce', phase: phaseOf(rank), startUs: 0, endUs: e.timeUs, inShapes: [X], outShape: X, flops: undefined, ledgerSeq: 0, source: undefined, module: moduleOf(rank), tag: `mb${rank % 2}` }));
    assertSameObjects(r.trace, want, 'trace event');
  });

  test('the event stream carries the same plain entries and events as the result', async () => {
    for (const fold of [['dp', 'tp'], []]) {
      const ledger: LedgerEntry[] = [];
      const trace: TraceEvent[] = [];
      const r: SimResult = await run(fold, (e) => {
        if (e.type === 'ledger') ledger.push(e.entry);
        else if (e.type === 'trace') trace.push(e.event);
      });
      assertSameObjects(structuredClone(ledger), r.ledger, `streamed entry (fold ${fold.join(',') || 'none'})`);
      assertSameObjects(structuredClone(trace), r.trace, `streamed event (fold ${fold.join(',') || 'none'})`);
    }
  });

  test('a replayed stretch issues the recorded entries again: new seqs, shifted starts, every other field the same', async () => {
    const N = CALLS.length;
    let shift = 0;
    const r = await simulate({ mesh: MESH, mode: 'meta', sources: 'none', traceCompute: false, fold: ['dp', 'tp'] }, async (ctx) => {
      const frame = { ranges: [], singles: [] };
      const rec = beginSegment(ctx, frame);
      await program(ctx);
      const seg = endSegment(ctx, rec, []);
      assert.ok(seg, 'the stretch is replayable');
      shift = ctx.clock - seg.clock0;
      ctx.tag = 'replayed';
      replaySegment(ctx, seg, frame);
    });
    assert.equal(r.ok, true, r.errors.map((e) => e.message).join('\n'));
    const real = expected((axis) => (axis === 'tp' ? MESH.dp : MESH.tp), range(N));
    assertSameObjects(r.ledger.slice(0, N), real.ledger, 'recorded entry');
    assertSameObjects(r.trace.slice(0, N), real.trace, 'recorded event');
    const again = real.ledger.map((e, k) => ({ ...e, seq: N + k, startUs: e.startUs + shift }));
    assertSameObjects(r.ledger.slice(N), again, 'replayed entry');
    const events = real.trace.map((e, k) => ({ ...e, startUs: e.startUs + shift, endUs: e.endUs + shift, ledgerSeq: N + k, tag: 'replayed' }));
    assertSameObjects(r.trace.slice(N), events, 'replayed event');
  });
});
