import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../helpers/backend.js';
import { simulate, ops, type DType, type MeshSpec, type RankContext, type ReduceOp, type SimResult, type Tensor } from '../../src/core/index.js';

/**
 * Every collective against a dense reference computed in plain JS from the per-rank inputs
 * (read back with .values()), on groups of 1, 2, 3, 4 and 8 ranks, plus the gradients each
 * collective carries (Megatron-LM's mappings).
 */

before(async () => {
  await useBackend();
});

// ------------------------------------------------------------------ plain-JS references

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Concatenate row-major arrays along `dim` (parts agree outside that dim). */
function concatRef(parts: readonly number[][], partShapes: readonly (readonly number[])[], dim: number): number[] {
  const outer = prod(partShapes[0].slice(0, dim));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    parts.forEach((p, k) => {
      const block = partShapes[k][dim] * prod(partShapes[k].slice(dim + 1));
      for (let j = 0; j < block; j++) out.push(p[o * block + j]);
    });
  }
  return out;
}

/** Split a row-major array into n equal parts along `dim`. */
function splitRef(a: readonly number[], shape: readonly number[], dim: number, n: number): number[][] {
  const outer = prod(shape.slice(0, dim));
  const inner = prod(shape.slice(dim + 1));
  const part = (shape[dim] / n) * inner;
  const parts: number[][] = Array.from({ length: n }, () => []);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) for (let j = 0; j < part; j++) parts[k].push(a[o * shape[dim] * inner + k * part + j]);
  }
  return parts;
}

function reduceRef(xs: readonly number[][], op: ReduceOp): number[] {
  return xs[0].map((_, i) => {
    const col = xs.map((x) => x[i]);
    switch (op) {
      case 'sum':
        return col.reduce((a, b) => a + b, 0);
      case 'avg':
        return col.reduce((a, b) => a + b, 0) / col.length;
      case 'max':
        return Math.max(...col);
      case 'min':
        return Math.min(...col);
    }
  });
}

function assertClose(actual: readonly number[], expected: readonly number[], what: string, rtol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tol = rtol * (1 + Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: expected ${expected[i]}, got ${actual[i]}`);
  }
}

// ------------------------------------------------------------------ group setups

interface Setup {
  readonly name: string;
  readonly mesh: MeshSpec;
  readonly axis: string;
  readonly world: number;
  /** The group of rank r along `axis`, in group order, written out by hand. */
  members(r: number): number[];
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const flat = (n: number): Setup => ({ name: `{tp:${n}}`, mesh: { tp: n }, axis: 'tp', world: n, members: () => range(n) });
const SETUPS: readonly Setup[] = [
  flat(1),
  flat(2),
  flat(3),
  flat(4),
  flat(8),
  { name: '{dp:2,tp:4} along tp', mesh: { dp: 2, tp: 4 }, axis: 'tp', world: 8, members: (r) => range(4, r < 4 ? 0 : 4) },
  { name: '{dp:2,tp:4} along dp', mesh: { dp: 2, tp: 4 }, axis: 'dp', world: 8, members: (r) => [r % 4, (r % 4) + 4] },
];

// ------------------------------------------------------------------ running one collective

interface Out {
  readonly x: number[];
  readonly y: number[];
  readonly shape: number[];
  readonly dtype: DType;
}

type InDType = 'float32' | 'int32' | 'bfloat16';

function makeInput(rank: RankContext, shape: readonly number[], dtype: InDType): Tensor {
  if (dtype === 'int32') {
    // distinct small integers per rank, some negative
    const v = Int32Array.from({ length: prod(shape) }, (_, i) => (((rank.rank + 1) * 7919 * (i + 3)) % 201) - 100);
    return rank.tensor(v, shape, 'int32');
  }
  return rank.randn(shape, { key: `in/${rank.rank}`, dtype });
}

async function runCollective(
  setup: Setup,
  shapeFor: (n: number) => number[],
  call: (rank: RankContext, x: Tensor, members: readonly number[]) => Promise<Tensor>,
  dtype: InDType = 'float32',
): Promise<{ res: SimResult; out: Out[] }> {
  const res = await simulate({ mesh: setup.mesh }, async (rank) => {
    const x = makeInput(rank, shapeFor(rank.axisSize(setup.axis)), dtype);
    const y = await call(rank, x, setup.members(rank.rank));
    return { x: Array.from(await x.values()), y: Array.from(await y.values()), shape: [...y.shape], dtype: y.dtype };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return { res, out: res.returns as Out[] };
}

/** One ledger entry per group, each on that group's ranks, and nothing else. */
function assertOneEntryPerGroup(res: SimResult, setup: Setup, op: string, dtype: DType): void {
  const n = setup.members(0).length;
  assert.equal(res.ledger.length, setup.world / n, 'one ledger entry per group');
  const seen = new Set<string>();
  for (const e of res.ledger) {
    assert.equal(e.op, op);
    assert.equal(e.dtype, dtype);
    assert.equal(e.axis, setup.axis);
    assert.deepEqual(e.ranks, setup.members(e.ranks[0]));
    assert.equal(e.phase, 'forward');
    if (n === 1) assert.deepEqual(e.sentBytes, [0], 'a group of one moves nothing');
    seen.add(e.group);
  }
  assert.equal(seen.size, res.ledger.length);
}

// ------------------------------------------------------------------ tests

describe('all_reduce', () => {
  for (const setup of SETUPS) {
    for (const op of ['sum', 'avg', 'max', 'min'] as const) {
      test(`${op} on ${setup.name}`, async () => {
        const { res, out } = await runCollective(setup, () => [3, 5], (rank, x) => rank.comm.allReduce(x, { axis: setup.axis, op }));
        for (let r = 0; r < setup.world; r++) {
          const expected = reduceRef(setup.members(r).map((m) => out[m].x), op);
          if (op === 'max' || op === 'min') assert.deepEqual(out[r].y, expected, `rank ${r}`);
          else assertClose(out[r].y, expected, `rank ${r}`);
          assert.deepEqual(out[r].shape, [3, 5]);
        }
        assertOneEntryPerGroup(res, setup, 'all_reduce', 'float32');
        for (const e of res.ledger) assert.equal(e.reduceOp, op);
      });
    }
  }

  test('a bad call rejects the returned promise instead of throwing, folded or not', async () => {
    for (const fold of [[], ['tp']]) {
      const res = await simulate({ mesh: { tp: 4 }, mode: 'meta', fold }, async (rank) => {
        const x = rank.zeros([2, 3]);
        let p: Promise<Tensor> | undefined;
        assert.doesNotThrow(() => (p = rank.comm.allReduce(x, { axis: 'nope' })));
        await assert.rejects(p!, /unknown mesh axis "nope"/);
        // and a good one completes with the output (at once when the rank is alone in its group)
        const y = await rank.comm.allReduce(x, { axis: 'tp' });
        assert.deepEqual(y.shape, [2, 3]);
      });
      assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
      assert.equal(res.ledger.length, 1, `fold ${fold.join(',') || 'none'}`);
    }
  });

  test('int32 sum is exact', async () => {
    const setup = SETUPS[3];
    const { res, out } = await runCollective(setup, () => [4, 6], (rank, x) => rank.comm.allReduce(x, { axis: 'tp' }), 'int32');
    const expected = reduceRef(out.map((o) => o.x), 'sum');
    assert.ok(expected.some((v) => v < 0) && expected.some((v) => v > 0));
    for (let r = 0; r < 4; r++) {
      assert.deepEqual(out[r].y, expected);
      assert.equal(out[r].dtype, 'int32');
    }
    assertOneEntryPerGroup(res, setup, 'all_reduce', 'int32');
    assert.equal(res.ledger[0].bytes, 24 * 4);
  });

  test('bfloat16 is computed in fp32 and counted at 2 bytes per element', async () => {
    const setup = SETUPS[5];
    const { res, out } = await runCollective(setup, () => [3, 5], (rank, x) => rank.comm.allReduce(x, { axis: 'tp' }), 'bfloat16');
    for (let r = 0; r < 8; r++) {
      // fp32 accuracy: bf16 rounding (8 bits of mantissa) would be off by ~4e-3 relative
      assertClose(out[r].y, reduceRef(setup.members(r).map((m) => out[m].x), 'sum'), `rank ${r}`, 1e-6);
      assert.equal(out[r].dtype, 'bfloat16');
    }
    assertOneEntryPerGroup(res, setup, 'all_reduce', 'bfloat16');
    for (const e of res.ledger) {
      assert.equal(e.elements, 15);
      assert.equal(e.bytes, 30);
      // ring over 4 ranks, 15 elements in chunks [4,4,4,3]: rank i sends 2·15 − c[i+1] − c[i+2] elements
      assert.deepEqual(e.sentBytes, [22 * 2, 23 * 2, 23 * 2, 22 * 2]);
    }
  });
});

describe('all_gather', () => {
  for (const setup of SETUPS) {
    for (const dim of [0, 1, 2]) {
      test(`dim ${dim} on ${setup.name}`, async () => {
        const base = [2, 3, 4];
        // the last dim is passed as -1 to check that negative dims count from the end
        const { res, out } = await runCollective(setup, () => base, (rank, x) => rank.comm.allGather(x, { axis: setup.axis, dim: dim === 2 ? -1 : dim }));
        for (let r = 0; r < setup.world; r++) {
          const g = setup.members(r);
          const expected = concatRef(g.map((m) => out[m].x), g.map(() => base), dim);
          assert.deepEqual(out[r].y, expected, `rank ${r}`);
          const shape = [...base];
          shape[dim] *= g.length;
          assert.deepEqual(out[r].shape, shape);
        }
        assertOneEntryPerGroup(res, setup, 'all_gather', 'float32');
        for (const e of res.ledger) assert.equal(e.elements, 24 * setup.members(0).length, 'size = the gathered output');
      });
    }
  }

  test('int32 and bfloat16', async () => {
    const setup = SETUPS[2];
    for (const dtype of ['int32', 'bfloat16'] as const) {
      const { res, out } = await runCollective(setup, () => [2, 2], (rank, x) => rank.comm.allGather(x, { axis: 'tp', dim: 1 }), dtype);
      const expected = concatRef(out.map((o) => o.x), out.map(() => [2, 2]), 1);
      for (const o of out) {
        assert.deepEqual(o.y, expected);
        assert.equal(o.dtype, dtype);
      }
      assert.equal(res.ledger[0].bytes, 12 * (dtype === 'int32' ? 4 : 2));
    }
  });
});

describe('reduce_scatter', () => {
  for (const setup of SETUPS) {
    for (const dim of [0, 1, 2]) {
      test(`dim ${dim} on ${setup.name}`, async () => {
        const shapeFor = (n: number) => {
          const s = [2, 3, 2];
          s[dim] *= n;
          return s;
        };
        const { res, out } = await runCollective(setup, shapeFor, (rank, x) => rank.comm.reduceScatter(x, { axis: setup.axis, dim }));
        for (let r = 0; r < setup.world; r++) {
          const g = setup.members(r);
          const full = shapeFor(g.length);
          const summed = reduceRef(g.map((m) => out[m].x), 'sum');
          const expected = splitRef(summed, full, dim, g.length)[g.indexOf(r)];
          assertClose(out[r].y, expected, `rank ${r}`);
          assert.deepEqual(out[r].shape, [2, 3, 2]);
        }
        assertOneEntryPerGroup(res, setup, 'reduce_scatter', 'float32');
        for (const e of res.ledger) assert.equal(e.elements, 12 * setup.members(0).length, 'size = the full input');
      });
    }
  }

  test('avg divides by the group size; int32 sum is exact', async () => {
    const setup = SETUPS[3];
    const avg = await runCollective(setup, () => [8, 3], (rank, x) => rank.comm.reduceScatter(x, { axis: 'tp', op: 'avg' }));
    const mean = reduceRef(avg.out.map((o) => o.x), 'avg');
    for (let r = 0; r < 4; r++) assertClose(avg.out[r].y, splitRef(mean, [8, 3], 0, 4)[r], `rank ${r}`);
    const int = await runCollective(setup, () => [2, 8], (rank, x) => rank.comm.reduceScatter(x, { axis: 'tp', dim: 1 }), 'int32');
    const sum = reduceRef(int.out.map((o) => o.x), 'sum');
    for (let r = 0; r < 4; r++) assert.deepEqual(int.out[r].y, splitRef(sum, [2, 8], 1, 4)[r]);
  });
});

describe('broadcast and reduce', () => {
  for (const setup of SETUPS) {
    test(`broadcast from the group's last member on ${setup.name}`, async () => {
      const { res, out } = await runCollective(setup, () => [2, 5], (rank, x, g) => rank.comm.broadcast(x, { axis: setup.axis, src: g[g.length - 1] }));
      for (let r = 0; r < setup.world; r++) {
        const g = setup.members(r);
        assert.deepEqual(out[r].y, out[g[g.length - 1]].x, `rank ${r}`);
      }
      assertOneEntryPerGroup(res, setup, 'broadcast', 'float32');
    });

    test(`reduce (sum) to the group's first member on ${setup.name}`, async () => {
      const { res, out } = await runCollective(setup, () => [2, 5], (rank, x, g) => rank.comm.reduce(x, { axis: setup.axis, dst: g[0] }));
      for (let r = 0; r < setup.world; r++) {
        const g = setup.members(r);
        if (r === g[0]) assertClose(out[r].y, reduceRef(g.map((m) => out[m].x), 'sum'), `root ${r}`);
        else assert.deepEqual(out[r].y, out[r].x, `non-root ${r} keeps its buffer`);
      }
      assertOneEntryPerGroup(res, setup, 'reduce', 'float32');
    });
  }

  test('reduce with max to a middle root', async () => {
    const setup = SETUPS[4];
    const { out } = await runCollective(setup, () => [7], (rank, x) => rank.comm.reduce(x, { axis: 'tp', dst: 5, op: 'max' }));
    assert.deepEqual(out[5].y, reduceRef(out.map((o) => o.x), 'max'));
  });
});

describe('all_to_all', () => {
  for (const setup of SETUPS) {
    for (const [splitDim, concatDim] of [[0, 1], [2, 0]] as const) {
      test(`split dim ${splitDim}, concat dim ${concatDim} on ${setup.name}`, async () => {
        const inShape = (n: number) => (splitDim === 0 ? [2 * n, 3, 2] : [2, 3, 2 * n]);
        const { res, out } = await runCollective(setup, inShape, (rank, x) => rank.comm.allToAll(x, { axis: setup.axis, splitDim, concatDim }));
        for (let r = 0; r < setup.world; r++) {
          const g = setup.members(r);
          const n = g.length;
          const j = g.indexOf(r);
          // member j receives chunk j of every member i, concatenated in group order
          const parts = g.map((m) => splitRef(out[m].x, inShape(n), splitDim, n)[j]);
          const partShape = [...inShape(n)];
          partShape[splitDim] /= n;
          assert.deepEqual(out[r].y, concatRef(parts, parts.map(() => partShape), concatDim), `rank ${r}`);
          const outShape = [...partShape];
          outShape[concatDim] *= n;
          assert.deepEqual(out[r].shape, outShape);
        }
        assertOneEntryPerGroup(res, setup, 'all_to_all', 'float32');
        for (const e of res.ledger) assert.equal(e.elements, 12 * setup.members(0).length, "size = one rank's send buffer");
      });
    }
  }
});

describe('point to point and barrier', () => {
  test('send/recv between pairs on {dp:2,tp:4} (across dp: rank r ↔ r+4)', async () => {
    const res = await simulate({ mesh: { dp: 2, tp: 4 } }, async (rank) => {
      const x = rank.randn([3, 2], { key: `msg/${rank.rank}` });
      if (rank.coord('dp') === 0) {
        await rank.comm.send(x, rank.rank + 4);
        return { x: Array.from(await x.values()), y: null };
      }
      const y = await rank.comm.recv({ shape: [3, 2] }, rank.rank - 4);
      return { x: Array.from(await x.values()), y: Array.from(await y.values()) };
    });
    assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
    const out = res.returns as { x: number[]; y: number[] | null }[];
    for (let r = 4; r < 8; r++) {
      assert.deepEqual(out[r].y, out[r - 4].x);
      assert.notDeepEqual(out[r].y, out[r].x);
    }
    assert.equal(res.ledger.length, 4);
    for (const e of res.ledger) {
      assert.equal(e.op, 'send_recv');
      assert.equal(e.axis, 'dp');
      assert.equal(e.ranks[1], e.ranks[0] + 4);
      assert.equal(e.group, `p2p[${e.ranks[0]}->${e.ranks[1]}]`);
    }
  });

  test('isend + wait around a ring of 3 (every rank sends before it receives)', async () => {
    const res = await simulate({ mesh: { tp: 3 } }, async (rank) => {
      const n = 3;
      const x = rank.randn([4], { key: `ring/${rank.rank}` });
      const work = rank.comm.isend(x, (rank.rank + 1) % n, { tag: 7 });
      const y = await rank.comm.recv(x, (rank.rank + n - 1) % n, { tag: 7 });
      await work.wait();
      return { x: Array.from(await x.values()), y: Array.from(await y.values()) };
    });
    assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
    const out = res.returns as { x: number[]; y: number[] }[];
    for (let r = 0; r < 3; r++) assert.deepEqual(out[r].y, out[(r + 2) % 3].x);
    assert.equal(res.ledger.length, 3);
    assert.deepEqual(res.ledger.map((e) => e.tag), [7, 7, 7]);
    assert.deepEqual(
      res.ledger.map((e) => e.ranks.join('->')).sort(),
      ['0->1', '1->2', '2->0'],
    );
  });

  test('irecv + isend posted before either waits (torch\'s ring idiom): values, and the rank computes while the message flies', async () => {
    const res = await simulate({ mesh: { tp: 3 } }, async (rank) => {
      const n = 3;
      const x = rank.randn([256, 256], { key: `ring/${rank.rank}` }); // [256, 256]
      const posted = rank.comm.irecv(x, (rank.rank + n - 1) % n, { tag: 3 }); // posted first: a blocking recv would deadlock here
      const work = rank.comm.isend(x, (rank.rank + 1) % n, { tag: 3 });
      const before = rank.clock;
      ops.matmul(x, x); // compute between posting and waiting
      const computed = rank.clock;
      const y = await posted.wait();
      await work.wait();
      return { x: Array.from(await x.values()).slice(0, 4), y: Array.from(await y.values()).slice(0, 4), before, computed, after: rank.clock };
    });
    assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
    const out = res.returns as { x: number[]; y: number[]; before: number; computed: number; after: number }[];
    for (let r = 0; r < 3; r++) assert.deepEqual(out[r].y, out[(r + 2) % 3].x);
    assert.deepEqual(res.ledger.map((e) => e.ranks.join('->')).sort(), ['0->1', '1->2', '2->0']);
    // the 256 KiB message (a few µs on NVLink) arrives during the matmul: the wait adds nothing
    const transfer = res.ledger[0].timeUs;
    for (const o of out) {
      assert.ok(o.computed - o.before > transfer, `matmul ${o.computed - o.before} µs vs transfer ${transfer} µs`);
      assert.ok(Math.abs(o.after - o.computed) < 1e-6, `waited ${o.after - o.computed} µs`);
    }
  });

  test('an irecv that is waited on before its send is posted blocks until it arrives; one never matched is a deadlock naming the wait', async () => {
    const ok = await simulate({ mesh: { pp: 2 } }, async (rank) => {
      if (rank.rank === 1) return Array.from(await (await rank.comm.irecv({ shape: [2] }, 0).wait()).values());
      ops.matmul(rank.randn([128, 128], { key: 'a' }), rank.randn([128, 128], { key: 'b' })); // rank 0 sends late
      await rank.comm.send(rank.tensor([1, 2], [2]), 1);
      return null;
    });
    assert.equal(ok.ok, true, ok.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(ok.returns[1], [1, 2]);
    const stuck = await simulate({ mesh: { pp: 2 } }, async (rank) => {
      if (rank.rank === 1) await rank.comm.irecv({ shape: [2] }, 0, { tag: 5 }).wait();
    });
    assert.equal(stuck.ok, false);
    assert.match(stuck.errors[0].message, /deadlock/i);
    assert.match(JSON.stringify(stuck.errors[0]), /wait of an irecv \[2\] float32 from rank 0 \(tag 5\)/);
  });

  test('int32 messages arrive exactly', async () => {
    const res = await simulate({ mesh: { pp: 2 } }, async (rank) => {
      if (rank.rank === 0) {
        await rank.comm.send(rank.tensor([5, -3, 2147483647], [3], 'int32'), 1);
        return null;
      }
      const y = await rank.comm.recv({ shape: [3], dtype: 'int32' }, 0);
      return { v: Array.from(await y.values()), dtype: y.dtype };
    });
    assert.equal(res.ok, true);
    assert.deepEqual(res.returns[1], { v: [5, -3, 2147483647], dtype: 'int32' });
    assert.equal(res.ledger[0].axis, 'pp');
  });

  test('barrier: every member leaves at the same simulated time, the early ones wait', async () => {
    const res = await simulate({ mesh: { tp: 3 } }, async (rank) => {
      if (rank.rank === 0) {
        const a = rank.randn([64, 64], { key: 'a' });
        ops.matmul(a, a); // rank 0 arrives late
      }
      const before = rank.clock;
      await rank.comm.barrier({ axis: 'tp' });
      return { before, after: rank.clock };
    });
    assert.equal(res.ok, true);
    const out = res.returns as { before: number; after: number }[];
    assert.ok(out[0].before > out[1].before, 'rank 0 did compute before the barrier');
    assert.equal(out[1].before, 0);
    assert.ok(out[0].after > out[0].before);
    assert.equal(out[1].after, out[0].after);
    assert.equal(out[2].after, out[0].after);
    assert.equal(res.ledger.length, 1);
    const e = res.ledger[0];
    assert.equal(e.op, 'barrier');
    assert.equal(e.elements, 0);
    assert.equal(e.bytes, 0);
    assert.equal(e.startUs, out[0].before, 'the barrier starts when the last member arrives');
    const waits = res.trace.filter((t) => t.kind === 'wait');
    assert.deepEqual(waits.map((t) => t.rank).sort(), [1, 2]);
    for (const w of waits) assert.equal(w.endUs, out[0].before);
  });
});

// ------------------------------------------------------------------ gradients

interface GradOut {
  readonly x: number[];
  readonly w: number[];
  readonly g: number[] | null;
  readonly y: number[];
}

/**
 * Each rank: x (requires grad) → collective → y; loss = Σ y ⊙ w with a per-rank w, so dL/dy = w
 * differs per rank and each gradient rule shows.
 */
async function runGrad(mesh: MeshSpec, xShape: readonly number[], yShape: readonly number[], call: (rank: RankContext, x: Tensor) => Promise<Tensor>): Promise<{ res: SimResult; out: GradOut[] }> {
  const res = await simulate({ mesh }, async (rank) => {
    const x = rank.randn(xShape, { key: `x/${rank.rank}`, requiresGrad: true });
    const w = rank.randn(yShape, { key: `w/${rank.rank}` });
    const y = await call(rank, x);
    assert.deepEqual(y.shape, yShape);
    await rank.backward(ops.sum(ops.mul(y, w)));
    return { x: Array.from(await x.values()), w: Array.from(await w.values()), g: x.grad ? Array.from(await x.grad.values()) : null, y: Array.from(await y.values()) };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return { res, out: res.returns as GradOut[] };
}

describe('gradients', () => {
  test('allReduce(sum) backward is the identity, with no backward collective', async () => {
    const { res, out } = await runGrad({ tp: 3 }, [2, 4], [2, 4], (rank, x) => rank.comm.allReduce(x, { axis: 'tp' }));
    for (let r = 0; r < 3; r++) assert.deepEqual(out[r].g, out[r].w);
    assert.deepEqual(res.ledger.map((e) => [e.op, e.phase]), [['all_reduce', 'forward']]);
  });

  test('allReduce(avg) backward is dy / n', async () => {
    const { out } = await runGrad({ tp: 4 }, [2, 3], [2, 3], (rank, x) => rank.comm.allReduce(x, { axis: 'tp', op: 'avg' }));
    for (let r = 0; r < 4; r++) assertClose(out[r].g!, out[r].w.map((v) => v / 4), `rank ${r}`);
  });

  for (const op of ['max', 'min'] as const) {
    test(`allReduce(${op}) backward passes dy where x was the extreme`, async () => {
      const { out } = await runGrad({ tp: 3 }, [10], [10], (rank, x) => rank.comm.allReduce(x, { axis: 'tp', op }));
      const ext = reduceRef(out.map((o) => o.x), op);
      let hits = 0;
      for (let r = 0; r < 3; r++) {
        const expected = out[r].x.map((v, i) => (v === ext[i] ? out[r].w[i] : 0));
        hits += out[r].x.filter((v, i) => v === ext[i]).length;
        // dy · 0 may be −0: compare as numbers
        assert.deepEqual(out[r].g!.map((v) => v + 0), expected, `rank ${r}`);
      }
      assert.equal(hits, 10, 'each position has exactly one extreme rank');
    });
  }

  test('allGather backward is the own slice of dy', async () => {
    const { res, out } = await runGrad({ dp: 2, tp: 3 }, [2, 3], [2, 9], (rank, x) => rank.comm.allGather(x, { axis: 'tp', dim: 1 }));
    for (let r = 0; r < 6; r++) assert.deepEqual(out[r].g, splitRef(out[r].w, [2, 9], 1, 3)[r % 3], `rank ${r}`);
    assert.deepEqual(res.ledger.map((e) => e.phase), ['forward', 'forward']);
  });

  test('reduceScatter backward is an allGather of dy (a backward ledger entry)', async () => {
    const { res, out } = await runGrad({ tp: 3 }, [6, 2], [2, 2], (rank, x) => rank.comm.reduceScatter(x, { axis: 'tp' }));
    const expected = concatRef(out.map((o) => o.w), out.map(() => [2, 2]), 0);
    for (let r = 0; r < 3; r++) assert.deepEqual(out[r].g, expected, `rank ${r}`);
    assert.equal(res.ledger.length, 2);
    const [fwd, bwd] = res.ledger;
    assert.equal(fwd.op, 'reduce_scatter');
    assert.equal(fwd.phase, 'forward');
    assert.equal(bwd.op, 'all_gather');
    assert.equal(bwd.phase, 'backward');
    assert.equal(bwd.label, 'reduce_scatter.backward');
    assert.deepEqual(bwd.shape, [2, 2]);
    assert.equal(bwd.elements, 12);
    assert.equal(bwd.axis, 'tp');
  });

  test('allToAll backward is the inverse exchange', async () => {
    const { res, out } = await runGrad({ tp: 3 }, [6, 2], [2, 6], (rank, x) => rank.comm.allToAll(x, { axis: 'tp', splitDim: 0, concatDim: 1 }));
    for (let r = 0; r < 3; r++) {
      const parts = out.map((o) => splitRef(o.w, [2, 6], 1, 3)[r]);
      assert.deepEqual(out[r].g, concatRef(parts, parts.map(() => [2, 2]), 0), `rank ${r}`);
    }
    assert.deepEqual(res.ledger.map((e) => [e.op, e.phase]), [['all_to_all', 'forward'], ['all_to_all', 'backward']]);
  });

  test('copyToGroup is the identity forward and all-reduces the gradient backward', async () => {
    const { res, out } = await runGrad({ tp: 4 }, [3, 2], [3, 2], async (rank, x) => rank.comm.copyToGroup(x, { axis: 'tp' }));
    const total = reduceRef(out.map((o) => o.w), 'sum');
    for (let r = 0; r < 4; r++) {
      assert.deepEqual(out[r].y, out[r].x);
      assertClose(out[r].g!, total, `rank ${r}`);
    }
    assert.equal(res.ledger.length, 1, 'no forward communication');
    assert.equal(res.ledger[0].op, 'all_reduce');
    assert.equal(res.ledger[0].phase, 'backward');
    assert.equal(res.ledger[0].label, 'copy_to_region.backward');
  });

  test('broadcast and reduce carry no gradient', async () => {
    const res = await simulate({ mesh: { tp: 2 } }, async (rank) => {
      const x = rank.randn([2], { key: `x/${rank.rank}`, requiresGrad: true });
      const b = await rank.comm.broadcast(x, { axis: 'tp', src: 0 });
      const s = await rank.comm.reduce(x, { axis: 'tp', dst: 0 });
      return [b.requiresGrad, s.requiresGrad];
    });
    assert.deepEqual(res.returns, [[false, false], [false, false]]);
  });

  test('the gradient of a received tensor flows back to the sender', async () => {
    const res = await simulate({ mesh: { pp: 2 } }, async (rank) => {
      if (rank.rank === 0) {
        const x = rank.param(rank.randn([2, 3], { key: 'x' }), 'x');
        await rank.comm.send(x, 1);
        await rank.comm.backwardFromPeer(x, 1);
        return Array.from(await x.grad!.values());
      }
      const y = await rank.comm.recv({ shape: [2, 3] }, 0, { requiresGrad: true });
      const w = rank.randn([2, 3], { key: 'w' });
      await rank.backward(ops.sum(ops.mul(y, w)));
      return Array.from(await w.values());
    });
    assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(res.returns[0], res.returns[1]);
    assert.deepEqual(res.ledger.map((e) => [e.ranks.join('->'), e.phase]), [['0->1', 'forward'], ['1->0', 'backward']]);
  });
});
