import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { ConfigError, Mesh, SimError, simulate } from '../../src/core/index.js';

before(async () => {
  await useBackend();
});

/** Asserts `fn` throws a ConfigError whose message matches `message` and that carries a fix. */
function throwsConfig(fn: () => unknown, message: RegExp, fix?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.kind, 'config');
    assert.match(e.message, message);
    if (fix) {
      assert.ok(e.fix, 'the error says what to change');
      assert.match(e.fix, fix);
      assert.match(e.message, /fix: /);
    }
    return true;
  });
}

describe('rank <-> coordinates (Megatron order: tp fastest, then dp, then pp)', () => {
  test('dp×pp×tp = 2×2×2 written out by hand', () => {
    const m = new Mesh({ dp: 2, pp: 2, tp: 2 });
    assert.deepEqual(m.axes, ['pp', 'dp', 'tp']);
    assert.deepEqual(m.sizes, [2, 2, 2]);
    assert.equal(m.worldSize, 8);
    const table: [number, { pp: number; dp: number; tp: number }][] = [
      [0, { pp: 0, dp: 0, tp: 0 }],
      [1, { pp: 0, dp: 0, tp: 1 }],
      [2, { pp: 0, dp: 1, tp: 0 }],
      [3, { pp: 0, dp: 1, tp: 1 }],
      [4, { pp: 1, dp: 0, tp: 0 }],
      [5, { pp: 1, dp: 0, tp: 1 }],
      [6, { pp: 1, dp: 1, tp: 0 }],
      [7, { pp: 1, dp: 1, tp: 1 }],
    ];
    for (const [rank, c] of table) {
      assert.deepEqual({ ...m.coords(rank) }, c, `coords of rank ${rank}`);
      assert.equal(m.rankOf(c), rank, `rankOf ${JSON.stringify(c)}`);
      for (const a of ['pp', 'dp', 'tp'] as const) assert.equal(m.coord(rank, a), c[a]);
    }
  });

  test('rank = (pp_i·dp + dp_i)·tp + tp_i on an uneven 2×3×4 mesh', () => {
    const pp = 2;
    const dp = 3;
    const tp = 4;
    const m = new Mesh({ tp, pp, dp }); // key order of the spec does not matter
    assert.deepEqual(m.axes, ['pp', 'dp', 'tp']);
    assert.equal(m.worldSize, 24);
    const seen = new Set<number>();
    for (let ppi = 0; ppi < pp; ppi++) {
      for (let dpi = 0; dpi < dp; dpi++) {
        for (let tpi = 0; tpi < tp; tpi++) {
          const rank = (ppi * dp + dpi) * tp + tpi;
          assert.deepEqual({ ...m.coords(rank) }, { pp: ppi, dp: dpi, tp: tpi });
          assert.equal(m.rankOf({ pp: ppi, dp: dpi, tp: tpi }), rank);
          seen.add(rank);
        }
      }
    }
    assert.equal(seen.size, 24);
  });

  test('the three standard axes always exist (size 1 when not given); missing coords count as 0', () => {
    const m = new Mesh({ tp: 4 });
    assert.deepEqual(m.axes, ['pp', 'dp', 'tp']);
    assert.deepEqual(m.sizes, [1, 1, 4]);
    assert.equal(m.size('dp'), 1);
    assert.equal(m.rankOf({ tp: 3 }), 3);
    assert.equal(m.describe(), 'pp=1 × dp=1 × tp=4 = 4 ranks');
    assert.deepEqual(m.toJSON(), { axes: ['pp', 'dp', 'tp'], sizes: [1, 1, 4], worldSize: 4 });
  });

  test('cp and ep sit between dp and tp; other axis names come after, sorted', () => {
    const m = new Mesh({ tp: 2, ep: 2, cp: 2, dp: 2, zz: 2, aa: 1 });
    assert.deepEqual(m.axes, ['pp', 'dp', 'cp', 'ep', 'tp', 'aa', 'zz']);
    // The last axis is the fastest.
    assert.deepEqual({ ...m.coords(1) }, { pp: 0, dp: 0, cp: 0, ep: 0, tp: 0, aa: 0, zz: 1 });
    assert.deepEqual({ ...m.coords(2) }, { pp: 0, dp: 0, cp: 0, ep: 0, tp: 1, aa: 0, zz: 0 });
    assert.deepEqual({ ...m.coords(4) }, { pp: 0, dp: 0, cp: 0, ep: 1, tp: 0, aa: 0, zz: 0 });
    assert.deepEqual({ ...m.coords(8) }, { pp: 0, dp: 0, cp: 1, ep: 0, tp: 0, aa: 0, zz: 0 });
    assert.deepEqual({ ...m.coords(16) }, { pp: 0, dp: 1, cp: 0, ep: 0, tp: 0, aa: 0, zz: 0 });
  });

  test('an explicit axis order puts its last axis fastest', () => {
    const m = new Mesh({ tp: 2, dp: 3 }, ['tp', 'dp']);
    assert.deepEqual(m.axes, ['tp', 'dp']);
    // dp is now fastest: rank = tp_i·3 + dp_i
    assert.deepEqual({ ...m.coords(1) }, { tp: 0, dp: 1 });
    assert.deepEqual({ ...m.coords(3) }, { tp: 1, dp: 0 });
    assert.deepEqual(m.axisGroup('dp', 4).ranks, [3, 4, 5]);
    assert.deepEqual(m.axisGroup('tp', 4).ranks, [1, 4]);
  });

  test('ranks see their own coordinates and axis sizes through the context', async () => {
    const r = await simulate({ mesh: { dp: 2, pp: 2, tp: 2 }, mode: 'meta' }, (rank) => ({
      coords: { ...rank.coords },
      tp: rank.coord('tp'),
      ep: rank.coord('ep'),
      sizes: [rank.axisSize('pp'), rank.axisSize('dp'), rank.axisSize('tp'), rank.axisSize('ep')],
      nextStage: rank.comm.peer('pp', +1),
      prevStage: rank.comm.peer('pp', -1),
      nextTp: rank.comm.peer('tp', +1),
    }));
    assert.equal(r.ok, true);
    const out = r.returns as { coords: Record<string, number>; tp: number; ep: number; sizes: number[]; nextStage: number | null; prevStage: number | null; nextTp: number | null }[];
    for (let rank = 0; rank < 8; rank++) {
      const pp = Math.floor(rank / 4);
      const dp = Math.floor(rank / 2) % 2;
      const tp = rank % 2;
      assert.deepEqual(out[rank].coords, { pp, dp, tp });
      assert.equal(out[rank].tp, tp);
      assert.equal(out[rank].ep, 0, 'an absent axis reads as coordinate 0');
      assert.deepEqual(out[rank].sizes, [2, 2, 2, 1]);
      assert.equal(out[rank].nextStage, pp === 0 ? rank + 4 : null);
      assert.equal(out[rank].prevStage, pp === 1 ? rank - 4 : null);
      assert.equal(out[rank].nextTp, tp === 0 ? rank + 1 : null);
    }
  });
});

describe('axis groups', () => {
  test('dp×pp×tp = 2×2×2: every rank’s tp, dp and pp group by hand', () => {
    const m = new Mesh({ dp: 2, pp: 2, tp: 2 });
    const tp = [[0, 1], [0, 1], [2, 3], [2, 3], [4, 5], [4, 5], [6, 7], [6, 7]];
    const dp = [[0, 2], [1, 3], [0, 2], [1, 3], [4, 6], [5, 7], [4, 6], [5, 7]];
    const pp = [[0, 4], [1, 5], [2, 6], [3, 7], [0, 4], [1, 5], [2, 6], [3, 7]];
    for (let r = 0; r < 8; r++) {
      const gt = m.axisGroup('tp', r);
      const gd = m.axisGroup('dp', r);
      const gp = m.axisGroup('pp', r);
      assert.deepEqual(gt.ranks, tp[r], `tp group of ${r}`);
      assert.deepEqual(gd.ranks, dp[r], `dp group of ${r}`);
      assert.deepEqual(gp.ranks, pp[r], `pp group of ${r}`);
      assert.equal(gt.id, `tp[${tp[r].join(',')}]`);
      assert.equal(gd.id, `dp[${dp[r].join(',')}]`);
      assert.equal(gp.id, `pp[${pp[r].join(',')}]`);
      assert.equal(gt.axis, 'tp');
      assert.equal(gd.axis, 'dp');
      assert.equal(gp.axis, 'pp');
      assert.ok(gt.ranks.includes(r) && gd.ranks.includes(r) && gp.ranks.includes(r));
    }
    assert.deepEqual(m.axisGroups('tp').map((g) => g.ranks), [[0, 1], [2, 3], [4, 5], [6, 7]]);
    assert.deepEqual(m.axisGroups('dp').map((g) => g.ranks), [[0, 2], [1, 3], [4, 6], [5, 7]]);
    assert.deepEqual(m.axisGroups('pp').map((g) => g.ranks), [[0, 4], [1, 5], [2, 6], [3, 7]]);
  });

  test('a group along a size-1 axis holds only the rank itself; the world holds all', () => {
    const m = new Mesh({ tp: 4 });
    assert.deepEqual(m.axisGroup('dp', 2).ranks, [2]);
    assert.equal(m.axisGroups('pp').length, 4);
    assert.deepEqual(m.axisGroup('tp', 2).ranks, [0, 1, 2, 3]);
    const w = m.world();
    assert.equal(w.id, 'world');
    assert.equal(w.axis, undefined);
    assert.deepEqual(w.ranks, [0, 1, 2, 3]);
  });

  test('groups are interned: the same members give the same frozen object', () => {
    const m = new Mesh({ dp: 2, tp: 2 });
    assert.equal(m.axisGroup('tp', 2), m.axisGroup('tp', 3));
    assert.notEqual(m.axisGroup('tp', 0), m.axisGroup('tp', 2));
    assert.ok(Object.isFrozen(m.axisGroup('dp', 1)));
    assert.ok(Object.isFrozen(m.axisGroup('dp', 1).ranks));
  });
});

describe('explicit groups', () => {
  test('keep the given order (group rank i = ranks[i]) and have their own id', () => {
    const m = new Mesh({ tp: 4 });
    const g = m.group([3, 1]);
    assert.deepEqual(g.ranks, [3, 1]);
    assert.equal(g.id, 'ranks[3,1]');
    assert.equal(g.axis, undefined);
    assert.equal(m.group([3, 1]), g);
    assert.notEqual(m.group([1, 3]), g);
    // Same members as the tp axis group, but a different group (NCCL communicators differ).
    assert.notEqual(m.group([0, 1, 2, 3]).id, m.axisGroup('tp', 0).id);
  });

  test('an empty list, a repeated rank or a rank outside the mesh throw ConfigError', () => {
    const m = new Mesh({ tp: 4 });
    throwsConfig(() => m.group([]), /at least one rank/);
    throwsConfig(() => m.group([0, 2, 0]), /rank 0 appears twice/, /each rank once/);
    throwsConfig(() => m.group([1, 4]), /rank 4 does not exist: the mesh has ranks 0\.\.3/);
    throwsConfig(() => m.group([-1]), /rank -1 does not exist/);
  });

  test('a collective on an explicit group involves only its members', async () => {
    const r = await simulate({ mesh: { tp: 4 } }, async (rank) => {
      if (rank.rank === 0 || rank.rank === 2) {
        const g = rank.mesh.group([2, 0]);
        const x = rank.tensor([rank.rank + 1], [1]);
        return Array.from(await (await rank.comm.allGather(x, { group: g })).values());
      }
      return null;
    });
    assert.equal(r.ok, true, r.errors.map((e) => e.message).join('\n'));
    // group order: member 0 is global rank 2 (value 3), member 1 is rank 0 (value 1)
    assert.deepEqual(r.returns, [[3, 1], null, [3, 1], null]);
    assert.equal(r.ledger.length, 1);
    assert.deepEqual(r.ledger[0].ranks, [2, 0]);
    assert.equal(r.ledger[0].group, 'ranks[2,0]');
    assert.equal(r.ledger[0].axis, undefined);
  });
});

describe('configuration errors', () => {
  for (const bad of [0, -2, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`axis size ${bad} is refused with a fix`, () => {
      throwsConfig(() => new Mesh({ dp: 2, tp: bad }), new RegExp(`mesh axis "tp" must be a whole number ≥ 1, got ${String(bad)}`), /a number/);
    });
  }

  test('a size given as a string is named as a string, not as the size it reads as', () => {
    throwsConfig(() => new Mesh({ tp: '4' as unknown as number }), /mesh axis "tp" must be a whole number ≥ 1, got the string "4"/, /tp: 2/);
  });

  test('a world over the ceiling is refused before any per-rank table is made', () => {
    throwsConfig(() => new Mesh({ dp: 2 ** 31 }), /2,147,483,648 ranks; AutoDist simulates at most 2,097,152/, /smaller mesh/);
  });

  test('simulate() rejects a bad mesh before running any rank', async () => {
    let ran = false;
    await assert.rejects(
      simulate({ mesh: { tp: 0 } }, () => {
        ran = true;
      }),
      (e: unknown) => e instanceof ConfigError && /"tp" must be a whole number ≥ 1, got 0/.test(e.message) && e.fix !== undefined,
    );
    assert.equal(ran, false);
  });

  test('unknown axes throw ConfigError naming the axes that exist', () => {
    const m = new Mesh({ dp: 2, tp: 2 });
    throwsConfig(() => m.size('ep'), /unknown mesh axis "ep"/, /use one of pp, dp, tp/);
    throwsConfig(() => m.coord(0, 'tensor'), /unknown mesh axis "tensor"/, /use one of pp, dp, tp/);
    throwsConfig(() => m.axisGroup('cp', 0), /unknown mesh axis "cp"/, /use one of pp, dp, tp/);
    throwsConfig(() => m.axisGroups('x'), /unknown mesh axis "x"/, /pp, dp, tp/);
    assert.equal(m.has('ep'), false);
    assert.equal(m.has('dp'), true);
  });

  test('an axis missing from an explicit order is refused with a fix', () => {
    throwsConfig(() => new Mesh({ tp: 2, dp: 2 }, ['tp']), /mesh axis "dp" is not in the axis order \[tp\]/, /add it to the order/);
  });

  test('ranks and coordinates outside the mesh throw ConfigError', () => {
    const m = new Mesh({ dp: 2, tp: 2 });
    throwsConfig(() => m.coords(4), /rank 4 does not exist/);
    throwsConfig(() => m.coords(1.5), /rank 1\.5 does not exist/);
    throwsConfig(() => m.axisGroup('tp', -1), /rank -1 does not exist/);
    throwsConfig(() => m.rankOf({ tp: 2 }), /coordinate tp=2 is outside the mesh \(size 2\)/);
    throwsConfig(() => m.rankOf({ dp: -1 }), /coordinate dp=-1/);
  });

  test('a collective on an unknown axis fails the run with a config error naming the rank and line', async () => {
    const r = await simulate({ mesh: { tp: 2 } }, async (rank) => {
      // rank 0 waits in a valid all-reduce; rank 1 names an axis that does not exist
      await rank.comm.allReduce(rank.tensor([1], [1]), { axis: rank.rank === 1 ? 'dpp' : 'tp' });
    });
    assert.equal(r.ok, false);
    assert.equal(r.errors.length, 1);
    const e = r.errors[0];
    assert.ok(e instanceof SimError);
    assert.equal(e.kind, 'config');
    assert.match(e.message, /unknown mesh axis "dpp"/);
    assert.match(e.fix ?? '', /use one of pp, dp, tp/);
    assert.equal(e.ranks.length, 1);
    assert.equal(e.ranks[0].rank, 1);
    assert.match(e.ranks[0].source?.file ?? '', /mesh\.test\.ts$/);
    assert.match(e.message, /rank 1: named here at .*mesh\.test\.ts:\d+:\d+/);
  });

  test('an unknown mode is a ConfigError', async () => {
    await assert.rejects(simulate({ mesh: { tp: 1 }, mode: 'fast' as 'meta' }, () => {}), (e: unknown) => e instanceof ConfigError && /unknown mode "fast"/.test(e.message));
  });
});
