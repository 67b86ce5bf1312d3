import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { simulate, ops, SimError, ShapeError, type SimErrorKind, type SimEvent, type SimOptions, type RankProgram, type SimResult, type Tensor } from '../../src/core/index.js';

/**
 * Every way a parallel program can go wrong ends the run with one SimError of the right kind that
 * names the ranks involved and the lines of this file where they were.
 */

before(async () => {
  await useBackend();
});

const THIS_FILE = /test\/core\/errors\.test\.ts$/;

/** The line this helper is called from (call it on the same line as the failing call). */
function lineHere(): number {
  const frame = new Error().stack!.split('\n')[2];
  const m = /:(\d+):\d+\)?$/.exec(frame);
  assert.ok(m, `cannot read a line from "${frame}"`);
  return Number(m[1]);
}

interface Failed {
  readonly res: SimResult;
  readonly err: SimError;
  readonly events: SimEvent[];
}

/** Run, and expect exactly one error of `kind` (the run's `errors` holds it, `ok` is false). */
async function runFailing(opts: Partial<SimOptions> & Pick<SimOptions, 'mesh'>, kind: SimErrorKind, program: RankProgram): Promise<Failed> {
  const events: SimEvent[] = [];
  const res = await simulate({ ...opts, onEvent: (e) => events.push(e) }, program);
  assert.equal(res.ok, false, 'the run failed');
  assert.equal(res.errors.length, 1, `exactly one error, got:\n${res.errors.map((e) => e.message).join('\n---\n')}`);
  const err = res.errors[0];
  assert.ok(err instanceof SimError);
  assert.equal(err.kind, kind, err.message);
  assert.equal(err.name, `SimError(${kind})`);
  const streamed = events.filter((e) => e.type === 'error');
  assert.equal(streamed.length, 1, 'the error is streamed once');
  assert.equal(streamed[0].type === 'error' && streamed[0].error, err);
  return { res, err, events };
}

/** The error lists `rank` with a detail matching `detail`, at `line` of this file. */
function assertSite(err: SimError, rank: number, detail: RegExp, line?: number): void {
  const site = err.ranks.find((s) => s.rank === rank);
  assert.ok(site, `rank ${rank} is named in:\n${err.message}`);
  assert.match(site.detail, detail);
  if (line !== undefined) {
    assert.match(site.source?.file ?? '', THIS_FILE);
    assert.equal(site.source?.line, line, `line of rank ${rank}`);
    // and the message says it, "  rank r: detail at file:line:col"
    const printed = err.message.split('\n').find((l) => l.startsWith(`  rank ${rank}: `));
    assert.ok(printed, err.message);
    assert.match(printed, new RegExp(`errors\\.test\\.ts:${line}:\\d+$`));
  }
}

describe('deadlocks', () => {
  test('a recv with no send: every blocked rank, what it waits for, and its line', async () => {
    const lines: number[] = [];
    const { err, res } = await runFailing({ mesh: { tp: 3 } }, 'deadlock', async (rank) => {
      const from = (rank.rank + 1) % 3;
      lines[rank.rank] = lineHere(); await rank.comm.recv({ shape: [2] }, from);
    });
    assert.match(err.headline, /^deadlock: 3 ranks wait and none can proceed$/);
    assert.equal(err.ranks.length, 3);
    for (let r = 0; r < 3; r++) assertSite(err, r, new RegExp(`^waits in recv \\[2\\] float32 from rank ${(r + 1) % 3} \\(tag 0\\)$`), lines[r]);
    assert.ok(err.fix && /recv needs a matching send/.test(err.fix));
    assert.equal(res.ledger.length, 0);
    assert.deepEqual([...res.returns], [undefined, undefined, undefined], 'no rank returned');
  });

  test('a recv from a rank that already finished', async () => {
    let line = 0;
    const { err } = await runFailing({ mesh: { pp: 2 } }, 'deadlock', async (rank) => {
      if (rank.rank === 1) return;
      line = lineHere(); await rank.comm.recv({ shape: [4, 4] }, 1, { tag: 5 });
    });
    assert.match(err.headline, /1 rank wait.*\(rank 1 already finished\)/);
    assert.equal(err.ranks.length, 1);
    assertSite(err, 0, /waits in recv \[4, 4\] float32 from rank 1 \(tag 5\)/, line);
  });

  test('a collective that one member skips', async () => {
    const lines: number[] = [];
    const { err } = await runFailing({ mesh: { tp: 3 } }, 'deadlock', async (rank) => {
      const x = rank.tensor([1, 2], [2]);
      if (rank.rank === 2) return; // skips the all-reduce
      lines[rank.rank] = lineHere(); await rank.comm.allReduce(x, { axis: 'tp' });
    });
    assert.match(err.headline, /2 ranks wait.*\(rank 2 already finished\)/);
    assert.deepEqual(err.ranks.map((s) => s.rank), [0, 1]);
    for (const r of [0, 1]) assertSite(err, r, /waits in all_reduce \[2\] float32 op=sum on tp\[0,1,2\] \(call #1 on that group\)/, lines[r]);
  });

  test('collectives on two different groups in different orders', async () => {
    const lines: number[] = [];
    const { err } = await runFailing({ mesh: { tp: 2 } }, 'deadlock', async (rank) => {
      const x = rank.tensor([1], [1]);
      const pair = rank.mesh.group([0, 1]); // same members as the tp group, another communicator
      if (rank.rank === 0) {
        lines[0] = lineHere(); await rank.comm.allReduce(x, { axis: 'tp' });
        await rank.comm.allReduce(x, { group: pair });
      } else {
        lines[1] = lineHere(); await rank.comm.allReduce(x, { group: pair });
        await rank.comm.allReduce(x, { axis: 'tp' });
      }
    });
    assert.match(err.headline, /^deadlock: 2 ranks wait/);
    assertSite(err, 0, /all_reduce .* on tp\[0,1\]/, lines[0]);
    assertSite(err, 1, /all_reduce .* on ranks\[0,1\]/, lines[1]);
  });

  test('a blocking send whose peer never receives', async () => {
    let line = 0;
    const { err } = await runFailing({ mesh: { tp: 2 } }, 'deadlock', async (rank) => {
      if (rank.rank === 0) {
        line = lineHere(); await rank.comm.send(rank.tensor([1, 2, 3], [3]), 1, { tag: 2 });
      }
    });
    assertSite(err, 0, /waits in send \[3\] float32 to rank 1 \(tag 2\), waiting for its recv/, line);
  });
});

describe('mismatched collectives', () => {
  /**
   * Rank 0 and rank 1 each make one call on the tp group; they disagree. `call` returns the line
   * of the collective (lineHere() on the same line) and its promise.
   */
  type Call = (rank: Parameters<RankProgram>[0]) => readonly [number, Promise<unknown>];
  async function mismatch(why: string, call: Call): Promise<{ err: SimError; lines: number[] }> {
    const lines: number[] = [];
    const { err } = await runFailing({ mesh: { tp: 2 } }, 'collective-mismatch', async (rank) => {
      const [line, p] = call(rank);
      lines[rank.rank] = line;
      await p;
    });
    assert.match(err.headline, new RegExp(`^${why} in call #1 on group tp\\[0,1\\] \\(`));
    for (const r of [0, 1]) assertSite(err, r, /^passed /, lines[r]);
    assert.ok(err.fix);
    return { err, lines };
  }

  test('different collectives at the same call', async () => {
    const { err } = await mismatch('different collectives', (rank) => {
      const x = rank.tensor([1, 2, 3, 4], [4]);
      if (rank.rank === 0) return [lineHere(), rank.comm.allReduce(x, { axis: 'tp' })];
      return [lineHere(), rank.comm.allGather(x, { axis: 'tp' })];
    });
    assertSite(err, 0, /^passed all_reduce \[4\] float32 op=sum$/);
    assertSite(err, 1, /^passed all_gather \[4\] float32 dim=0$/);
    assert.match(err.fix ?? '', /same collectives in the same order/);
  });

  test('different shapes', async () => {
    const { err } = await mismatch('different shapes', (rank) => [lineHere(), rank.comm.allReduce(rank.zeros(rank.rank === 0 ? [2, 3] : [3, 2]), { axis: 'tp' })]);
    assertSite(err, 0, /\[2, 3\]/);
    assertSite(err, 1, /\[3, 2\]/);
  });

  test('different dtypes', async () => {
    const { err } = await mismatch('different dtypes', (rank) => [lineHere(), rank.comm.allReduce(rank.randn([4], { dtype: rank.rank === 0 ? 'float32' : 'bfloat16' }), { axis: 'tp' })]);
    assertSite(err, 0, /\[4\] float32/);
    assertSite(err, 1, /\[4\] bfloat16/);
  });

  test('different reduce ops', async () => {
    const { err } = await mismatch('different reduce ops', (rank) => [lineHere(), rank.comm.allReduce(rank.zeros([4]), { axis: 'tp', op: rank.rank === 0 ? 'sum' : 'max' })]);
    assertSite(err, 0, /op=sum/);
    assertSite(err, 1, /op=max/);
  });

  test('different roots', async () => {
    const { err } = await mismatch('different roots', (rank) => [lineHere(), rank.comm.broadcast(rank.zeros([4]), { axis: 'tp', src: rank.rank })]);
    assertSite(err, 0, /broadcast \[4\] float32 root=0/);
    assertSite(err, 1, /broadcast \[4\] float32 root=1/);
  });

  test('different gather dims', async () => {
    await mismatch('different dims', (rank) => [lineHere(), rank.comm.allGather(rank.zeros([2, 2]), { axis: 'tp', dim: rank.rank })]);
  });

  test('a member that has not reached the call yet is listed as such', async () => {
    const { err } = await runFailing({ mesh: { tp: 3 } }, 'collective-mismatch', async (rank) => {
      const x = rank.zeros([2]);
      if (rank.rank === 1) await rank.comm.allGather(x, { axis: 'tp' });
      else await rank.comm.allReduce(x, { axis: 'tp' });
    });
    assert.match(err.headline, /^different collectives/);
    assertSite(err, 2, /^has not reached this call yet$/);
  });

  test('a rank calling on a group it is not in', async () => {
    let line = 0;
    const { err, res } = await runFailing({ mesh: { tp: 4 } }, 'collective-mismatch', async (rank) => {
      const pair = rank.mesh.group([0, 1]);
      const x = rank.tensor([rank.rank], [1]);
      if (rank.rank === 3) {
        line = lineHere(); await rank.comm.allReduce(x, { group: pair });
      } else if (rank.rank < 2) await rank.comm.allReduce(x, { group: pair });
    });
    assert.match(err.headline, /^rank 3 called all_reduce on group ranks\[0,1\], which it is not a member of$/);
    assert.equal(err.ranks.length, 1);
    assertSite(err, 3, /all_reduce \[1\] float32/, line);
    assert.match(err.fix ?? '', /contains rank 3/);
    assert.equal(res.ledger.length, 1, 'the members’ own all-reduce completed');
  });

  test('a root outside the group', async () => {
    let line = 0;
    const { err } = await runFailing({ mesh: { dp: 2, tp: 2 } }, 'collective-mismatch', async (rank) => {
      if (rank.rank === 0) {
        line = lineHere(); await rank.comm.broadcast(rank.zeros([2]), { axis: 'tp', src: 3 });
      } else await rank.comm.broadcast(rank.zeros([2]), { axis: 'tp', src: rank.coord('dp') * 2 });
    });
    assert.match(err.headline, /^broadcast root 3 is not in group tp\[0,1\]$/);
    assertSite(err, 0, /broadcast \[2\] float32 root=3/, line);
    assert.match(err.fix ?? '', /pick a root among ranks 0-1/);
  });
});

describe('point-to-point errors', () => {
  test('send/recv shape mismatch names both ranks and both lines', async () => {
    const lines: number[] = [];
    const { err } = await runFailing({ mesh: { pp: 2 } }, 'p2p-mismatch', async (rank) => {
      if (rank.rank === 0) {
        lines[0] = lineHere(); await rank.comm.send(rank.zeros([2, 3]), 1);
      } else {
        lines[1] = lineHere(); await rank.comm.recv({ shape: [3, 2] }, 0);
      }
    });
    assert.match(err.headline, /^rank 0 sends \[2, 3\] float32 but rank 1 receives into \[3, 2\] float32 \(tag 0\)$/);
    assertSite(err, 0, /send \[2, 3\] float32 to rank 1/, lines[0]);
    assertSite(err, 1, /recv \[3, 2\] float32 from rank 0/, lines[1]);
  });

  test('send/recv dtype mismatch (recv posted first)', async () => {
    const { err } = await runFailing({ mesh: { pp: 2 } }, 'p2p-mismatch', async (rank) => {
      if (rank.rank === 1) await rank.comm.recv({ shape: [4], dtype: 'bfloat16' }, 0);
      else await rank.comm.send(rank.zeros([4]), 1);
    });
    assert.match(err.headline, /sends \[4\] float32 but rank 1 receives into \[4\] bfloat16/);
  });

  test('a send never received is an error at the end of the run', async () => {
    let line = 0;
    const { err, res } = await runFailing({ mesh: { pp: 2 } }, 'p2p-mismatch', async (rank) => {
      if (rank.rank === 0) {
        line = lineHere(); rank.comm.isend(rank.zeros([5]), 1, { tag: 9 });
      }
      return rank.rank;
    });
    assert.match(err.headline, /^1 message was sent but never received$/);
    assertSite(err, 0, /sent \[5\] float32 to rank 1 \(tag 9\), never received/, line);
    assert.deepEqual(res.returns, [0, 1], 'both ranks ran to the end');
  });

  test('sending to itself or to a rank outside the world', async () => {
    const self = await runFailing({ mesh: { tp: 2 } }, 'p2p-mismatch', async (rank) => {
      if (rank.rank === 1) await rank.comm.send(rank.zeros([1]), 1);
    });
    assert.match(self.err.headline, /rank 1: a send to itself/);
    const outside = await runFailing({ mesh: { tp: 2 } }, 'p2p-mismatch', async (rank) => {
      if (rank.rank === 0) await rank.comm.recv({ shape: [1] }, 2);
    });
    assert.match(outside.err.headline, /rank 0: cannot receive from rank 2: the world has ranks 0\.\.1/);
  });
});

describe('errors in a rank’s own code', () => {
  test('a user exception on one rank: that rank and this line, no echo from the others', async () => {
    let line = 0;
    const { err, res } = await runFailing({ mesh: { tp: 4 } }, 'user-exception', async (rank) => {
      const x = rank.tensor([rank.rank], [1]);
      if (rank.rank === 2) {
        line = lineHere(); throw new RangeError('boom');
      }
      await rank.comm.allReduce(x, { axis: 'tp' }); // the others block here and are stopped
    });
    assert.equal(err.headline, 'rank 2 threw RangeError: boom');
    assert.equal(err.ranks.length, 1);
    assertSite(err, 2, /thrown here/, line);
    assert.equal(err.source?.line, line);
    assert.match(err.source?.file ?? '', THIS_FILE);
    assert.equal(res.ledger.length, 0);
  });

  test('a non-Error throw is wrapped', async () => {
    const { err } = await runFailing({ mesh: { tp: 1 } }, 'user-exception', () => {
      throw 'plain string';
    });
    assert.equal(err.headline, 'rank 0 threw the string "plain string", not an Error');
  });

  test('an op shape error (matmul inner dims) names the rank and the line', async () => {
    let line = 0;
    const { err } = await runFailing({ mesh: { tp: 2 } }, 'shape', async (rank) => {
      const a = rank.zeros([2, 3]);
      const b = rank.zeros([4, 5]);
      if (rank.rank === 1) {
        line = lineHere(); ops.matmul(a, b);
      }
      await rank.comm.barrier();
    });
    assert.ok(err instanceof ShapeError);
    assert.equal(err.headline, 'rank 1: matmul: [2, 3] · [4, 5] — inner dims differ (3 vs 4)');
    assertSite(err, 1, /raised here/, line);
    assert.match(err.fix ?? '', /last dim of the left operand/);
  });

  test('other op shape errors: broadcasting, reshape, split', async () => {
    const cases: [string, (r: Parameters<RankProgram>[0]) => unknown, RegExp][] = [
      ['broadcast', (r) => ops.add(r.zeros([2, 3]), r.zeros([4])), /add: shapes \[2, 3\] and \[4\] do not broadcast/],
      ['reshape', (r) => ops.reshape(r.zeros([2, 3]), [4, 2]), /cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/],
      ['split', (r) => ops.split(r.zeros([5]), 0, 2), /cannot split dim 0 of \[5\] \(size 5\) into 2 equal parts/],
      ['dim', (r) => ops.sum(r.zeros([5]), 1), /dim 1 is out of range/],
    ];
    for (const [name, f, re] of cases) {
      const { err } = await runFailing({ mesh: { tp: 1 } }, 'shape', (rank) => {
        f(rank);
      });
      assert.match(err.headline, re, name);
      assert.match(err.ranks[0]?.source?.file ?? '', THIS_FILE, name);
    }
  });

  test('a collective shape error: reduceScatter along a dim that does not divide', async () => {
    let line = 0;
    const { err } = await runFailing({ mesh: { tp: 3 } }, 'shape', async (rank) => {
      if (rank.rank !== 1) return rank.comm.barrier();
      line = lineHere(); await rank.comm.reduceScatter(rank.zeros([4, 3]), { axis: 'tp', dim: 0 });
    });
    assert.match(err.headline, /dim 0 of \[4, 3\] \(4\) does not divide by the group size 3/);
    assertSite(err, 1, /called here/, line);
  });

  test('reduceScatter with an unsupported reduce op names the rank and the line', async () => {
    let line = 0;
    const { err } = await runFailing({ mesh: { tp: 2 } }, 'config', async (rank) => {
      if (rank.rank === 0) return rank.comm.barrier();
      line = lineHere(); await rank.comm.reduceScatter(rank.zeros([4]), { axis: 'tp', op: 'max' });
    });
    assert.match(err.headline, /reduceScatter supports op sum or avg, not max/);
    assertSite(err, 1, /called here/, line);
    assert.match(err.fix ?? '', /"sum" or "avg"/);
  });

  test('using a tensor of rank 1 on rank 0 is refused (in an op)', async () => {
    const shared: Tensor[] = [];
    let line = 0;
    const { err } = await runFailing({ mesh: { tp: 2 } }, 'user-exception', async (rank) => {
      if (rank.rank === 1) shared.push(rank.tensor([1, 2], [2]));
      await rank.comm.barrier();
      if (rank.rank === 0) {
        line = lineHere(); ops.add(rank.tensor([1, 1], [2]), shared[0]);
      }
    });
    assert.equal(err.headline, 'tensor [2] float32 belongs to rank 1 but is used on rank 0');
    assertSite(err, 0, /used here/, line);
    assert.match(err.fix ?? '', /comm/);
  });

  test('using a tensor of rank 1 on rank 0 is refused (in a collective)', async () => {
    const shared: Tensor[] = [];
    let line = 0;
    const { err } = await runFailing({ mesh: { tp: 2 } }, 'user-exception', async (rank) => {
      const own = rank.tensor([1, 2], [2]);
      if (rank.rank === 1) shared.push(own);
      await rank.comm.barrier();
      if (rank.rank === 0) {
        line = lineHere(); await rank.comm.allReduce(shared[0], { axis: 'tp' });
      } else await rank.comm.allReduce(own, { axis: 'tp' });
    });
    assert.match(err.headline, /rank 0 passed a tensor of rank 1 to all_reduce/);
    assertSite(err, 0, /called here/, line);
    assert.match(err.fix ?? '', /own tensor/);
  });

  test('when every rank makes the same mistake at once, one error names every rank and its line', async () => {
    let line = 0;
    const res = await simulate({ mesh: { tp: 3 } }, async (rank) => {
      line = lineHere(); ops.matmul(rank.zeros([2, 3]), rank.zeros([2, 3]));
    });
    assert.equal(res.ok, false);
    assert.equal(res.errors.length, 1);
    const e = res.errors[0];
    assert.equal(e.kind, 'shape');
    assert.match(e.headline, /^ranks 0, 1, 2: matmul: \[2, 3\] · \[2, 3\] — inner dims differ \(3 vs 2\)$/);
    assert.deepEqual(e.ranks.map((r) => r.rank), [0, 1, 2]);
    for (const r of e.ranks) assert.equal(r.source?.line, line);
  });

  test('sending a tensor of rank 1 from rank 0 is refused', async () => {
    const shared: Tensor[] = [];
    let line = 0;
    const { err } = await runFailing({ mesh: { tp: 2 } }, 'user-exception', async (rank) => {
      if (rank.rank === 1) shared.push(rank.tensor([1, 2], [2]));
      await rank.comm.barrier();
      if (rank.rank === 0) {
        line = lineHere(); rank.comm.isend(shared[0], 1);
      } else await rank.comm.recv({ shape: [2] }, 0);
    });
    assert.match(err.headline, /^rank 0 passed a tensor of rank 1 to send$/);
    assertSite(err, 0, /called here/, line);
  });

  test('backward from a tensor that needs no gradient', async () => {
    let line = 0;
    const { err } = await runFailing({ mesh: { tp: 1 } }, 'user-exception', async (rank) => {
      line = lineHere(); await rank.backward(ops.sum(rank.zeros([3])));
    });
    assert.match(err.headline, /does not depend on any parameter/);
    assertSite(err, 0, /backward called here/, line);
  });
});

describe('cancelling and partial results', () => {
  test('an AbortSignal stops a run in which one rank is blocked', async () => {
    const ac = new AbortController();
    let ticks = 0;
    const { err, res } = await runFailing({ mesh: { pp: 2 }, signal: ac.signal }, 'cancelled', async (rank) => {
      if (rank.rank === 0) {
        await rank.comm.recv({ shape: [1] }, 1); // blocked: rank 1 never sends
        return 'received';
      }
      // rank 1 keeps working (so this is no deadlock) until the run is stopped: the signal fires
      // on a timer, as a person's Stop does, once it has worked a while (not on a clock that a
      // busy machine may run out before the rank starts)
      for (;;) {
        await new Promise((r) => setTimeout(r, 2));
        rank.zeros([1]);
        if (++ticks === 3) setTimeout(() => ac.abort(), 1);
      }
    });
    assert.equal(err.headline, 'run cancelled');
    assert.ok(ticks >= 3, 'rank 1 ran until cancelled');
    assert.deepEqual([...res.returns], [undefined, undefined]);
  });

  test('an already aborted signal runs nothing', async () => {
    const { res } = await runFailing({ mesh: { tp: 2 }, signal: AbortSignal.abort() }, 'cancelled', async (rank) => {
      await rank.comm.allReduce(rank.zeros([2]), { axis: 'tp' });
    });
    assert.equal(res.ledger.length, 0);
  });

  test('a failed run still returns the ledger, trace, clocks and memory recorded before the failure', async () => {
    const { res, err } = await runFailing({ mesh: { tp: 2 } }, 'collective-mismatch', async (rank) => {
      const x = rank.randn([4, 4], { key: 'x' });
      const y = ops.matmul(x, x);
      await rank.comm.allReduce(y, { axis: 'tp' });
      await rank.comm.allGather(y, { axis: 'tp' });
      // the failure: rank 1 reduces with max
      await rank.comm.allReduce(y, { axis: 'tp', op: rank.rank === 0 ? 'sum' : 'max' });
    });
    assert.match(err.headline, /^different reduce ops in call #3 on group tp\[0,1\]/);
    assert.deepEqual(res.ledger.map((e) => e.op), ['all_reduce', 'all_gather']);
    for (const r of [0, 1]) {
      const mine = res.trace.filter((t) => t.rank === r);
      assert.ok(mine.some((t) => t.kind === 'compute' && t.name === 'matmul'));
      assert.deepEqual(mine.filter((t) => t.kind === 'comm').map((t) => t.ledgerSeq), [0, 1]);
      assert.ok(res.clocks[r] >= res.ledger[1].startUs + res.ledger[1].timeUs);
      assert.ok(res.memory[r].peakBytes >= 4 * 4 * 4 * 2);
      assert.ok(res.flops[r] >= 2 * 4 * 4 * 4);
    }
  });
});
