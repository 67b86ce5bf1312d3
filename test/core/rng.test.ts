import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, seededNormals } from '../../src/core/rng.js';

/** normal() in a loop: the definition fillNormal must reproduce number for number. */
function byLoop(r: Rng, n: number, std = 1, mean = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + std * r.normal();
  return out;
}

describe('seeded random numbers', () => {
  test('fillNormal gives what normal() gives, spare included, for odd and even lengths', () => {
    for (const seed of [0, 7, 123456789]) {
      for (const n of [0, 1, 2, 5, 64, 1001]) {
        const a = new Rng(seed);
        const b = new Rng(seed);
        a.normal(); // leaves a spare pending
        b.normal();
        assert.deepEqual(a.fillNormal(new Float32Array(n), 0.02, 0.5), byLoop(b, n, 0.02, 0.5), `seed ${seed}, n ${n}`);
        assert.deepEqual(a.fillNormal(new Float32Array(3)), byLoop(b, 3), 'the stream continues identically');
        assert.equal(a.uniform(), b.uniform());
      }
    }
  });

  test('normals look normal', () => {
    const x = new Rng(3).fillNormal(new Float32Array(200_000));
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.01, `variance ${variance}`);
  });

  test('seededNormals: the stream of the seed, remembered for the next draw, recent ones kept', () => {
    const a = seededNormals(11, 1000, 2);
    assert.deepEqual(a, new Rng(11).fillNormal(new Float32Array(1000), 2));
    assert.equal(seededNormals(11, 1000, 2), a, 'the same array the second time');
    assert.notEqual(seededNormals(11, 1000, 3), a, 'another std is another draw');
    // 128 MiB of newer 4 MiB arrays push it out
    for (let i = 0; i < 33; i++) seededNormals(1000 + i, 2 ** 20);
    const again = seededNormals(11, 1000, 2);
    assert.notEqual(again, a, 'evicted: drawn again');
    assert.deepEqual(again, a, 'with the same numbers');
  });
});
