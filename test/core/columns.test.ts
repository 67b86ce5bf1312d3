import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Interner, RecordTable } from '../../src/core/columns.js';

/** Past the first chunk's growth and several full chunks (4,096 records each). */
const N = 3 * 4096 + 1000;

describe('RecordTable', () => {
  test('keeps every record, in order, across chunk boundaries (float and int fields)', () => {
    const t = new RecordTable(2, 3);
    const want: number[][] = [];
    for (let r = 0; r < N; r++) {
      const v = [r * 1.5, -r / 3, r, -r, r % 7];
      assert.equal(t.add(), r, 'add returns the index');
      t.f[t.fo] = v[0];
      t.f[t.fo + 1] = v[1];
      t.i[t.io] = v[2];
      t.i[t.io + 1] = v[3];
      t.i[t.io + 2] = v[4];
      want.push(v);
    }
    assert.equal(t.length, N);
    for (let r = 0; r < N; r++) {
      const got = [t.float(r, 0), t.float(r, 1), t.int(r, 0), t.int(r, 1), t.int(r, 2)];
      if (got.some((x, k) => x !== want[r][k])) assert.fail(`record ${r}: ${got} vs ${want[r]}`);
    }
  });

  test('a new record is all zeros; a table of ints only works', () => {
    const t = new RecordTable(0, 2);
    for (let r = 0; r < N; r++) {
      t.add();
      assert.ok(t.i[t.io] === 0 && t.i[t.io + 1] === 0, `record ${r}`);
      t.i[t.io] = 1;
      t.i[t.io + 1] = r;
    }
    for (let r = 0; r < N; r++) assert.equal(t.int(r, 1), r);
  });
});

describe('Interner', () => {
  test('numbers each distinct value once and gives back the very value (strings, objects, undefined)', () => {
    const n = new Interner<string | object | undefined>();
    const a = { name: 'a' };
    const b = { name: 'a' }; // equal to a, but another object
    const pattern = [undefined, 'forward', 'forward', a, b, b, undefined, 'backward', 'forward', a];
    const ids = pattern.map((v) => n.id(v));
    assert.deepEqual(ids, [0, 1, 1, 2, 3, 3, 0, 4, 1, 2]);
    pattern.forEach((v, i) => assert.equal(n.value(ids[i]), v));
    for (let i = 0; i < 1000; i++) assert.equal(n.value(n.id(pattern[(i * 7) % pattern.length])), pattern[(i * 7) % pattern.length]);
  });
});
