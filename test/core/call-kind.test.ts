import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh, World, getHardware } from '../../src/core/index.js';
import { CallKinds, type CallKind } from '../../src/core/collectives/call-kind.js';
import type { CallSig } from '../../src/core/collectives/signature.js';

/** A collective's kind is made once per run and found again for every call like it. */

const world = () => new World({ mesh: new Mesh({ dp: 2, tp: 4 }), mode: 'meta', hardware: getHardware('h100-sxm'), gpusPerNode: 8, algorithms: {}, seed: 0, sourceMode: 'none', traceCompute: false });

describe('CallKinds', () => {
  test('equal calls (new shape arrays each time) get the same kind, also past what a group remembers', () => {
    const w = world();
    const kinds = new CallKinds(w);
    const g = w.mesh.axisGroup('tp', 0);
    const recent: CallKind[] = [];
    const sig = (i: number): CallSig => ({ op: 'all_reduce', shape: [i + 1, 8], dtype: 'float32', reduceOp: 'sum' });
    const first = Array.from({ length: 20 }, (_, i) => kinds.of(recent, g, sig(i)));
    assert.equal(new Set(first).size, 20, 'one kind per shape');
    for (let round = 0; round < 2; round++) first.forEach((k, i) => assert.equal(kinds.of(recent, g, sig(i)), k, `shape ${i}, round ${round}`));
    assert.ok(recent.length <= 16, 'a group remembers a few kinds');
  });

  test('calls that differ in any field get different kinds, with their own accounting', () => {
    const w = world();
    const kinds = new CallKinds(w);
    const tp = w.mesh.axisGroup('tp', 0);
    const dp = w.mesh.axisGroup('dp', 0);
    const base: CallSig = { op: 'all_gather', shape: [4, 8], dtype: 'float32', dim: 0 };
    const variants: [CallSig, typeof tp][] = [
      [base, tp],
      [base, dp],
      [{ ...base, dim: 1 }, tp],
      [{ ...base, dtype: 'bfloat16' }, tp],
      [{ ...base, shape: [4, 16] }, tp],
      [{ op: 'reduce_scatter', shape: [4, 8], dtype: 'float32', dim: 0, reduceOp: 'sum' }, tp],
      [{ op: 'reduce_scatter', shape: [4, 8], dtype: 'float32', dim: 0, reduceOp: 'avg' }, tp],
      [{ op: 'broadcast', shape: [4, 8], dtype: 'float32', root: tp.ranks[0] }, tp],
      [{ op: 'broadcast', shape: [4, 8], dtype: 'float32', root: tp.ranks[2] }, tp],
      [{ op: 'all_reduce', shape: [4, 8], dtype: 'float32' }, tp],
      [{ op: 'reduce', shape: [4, 8], dtype: 'float32' }, tp],
      [{ op: 'all_to_all', shape: [4, 8], dtype: 'float32', splitDim: 0, concatDim: 1 }, tp],
      [{ op: 'all_to_all', shape: [4, 8], dtype: 'float32', splitDim: 1, concatDim: 1 }, tp],
      [{ op: 'all_to_all', shape: [4, 8], dtype: 'float32', splitDim: 1, concatDim: 0 }, tp],
    ];
    const recent = new Map([tp, dp].map((g) => [g, [] as CallKind[]]));
    const got = variants.map(([s, g]) => kinds.of(recent.get(g)!, g, s));
    assert.equal(new Set(got).size, variants.length);
    assert.deepEqual(got[2].outShape, [4, 32]);
    assert.equal(got[3].bytes * 2, got[0].bytes);
    assert.equal(got[8].rootIdx, 2);
    assert.equal(got[1].multiplicity, 1);
    assert.deepEqual(got.slice(-3).map((k) => k.outShape), [[1, 32], [4, 8], [16, 2]]);
  });
});
