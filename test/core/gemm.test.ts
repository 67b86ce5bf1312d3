/**
 * The shape-aware GEMM time (src/core/cost/gemm.ts) against hand-derived tile and wave counts
 * (NVIDIA's "Matrix Multiplication Background User's Guide": tile and wave quantization).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemmEfficiency, gemmOfOperands, gemmQuantization, gemmTimeUs, getHardware, KERNEL_LAUNCH_US } from '../../src/core/cost/index.js';

const h100 = getHardware('h100');
const a100 = getHardware('a100');

test('whole waves of whole tiles run at the large-GEMM efficiency η', () => {
  // 132 SMs × 2 waves of 128 × 256 tiles: M = 128·12 = 1536, N = 256·22 = 5632 → 264 tiles = 2 waves exactly
  const s = { batch: 1, m: 1536, n: 5632, k: 8192 };
  assert.equal(gemmQuantization(s, h100), 1);
  const flops = 2 * 1536 * 5632 * 8192;
  const expected = KERNEL_LAUNCH_US + (flops / (989e12 * h100.computeEfficiency)) * 1e6;
  assert.ok(Math.abs(gemmTimeUs(s, 'bfloat16', h100) - expected) < 1e-9);
});

test('wave quantization: one tile more than the SMs takes two waves', () => {
  // 133 tiles of 128 × 256 (M = 128·7, N = 256·19): 2 waves for 133/264 of their work
  const s = { batch: 1, m: 128 * 7, n: 256 * 19, k: 4096 };
  assert.equal(gemmQuantization(s, h100), 133 / 264);
  // one fewer tile: exactly one wave (132 = 12 × 11)
  assert.equal(gemmQuantization({ batch: 1, m: 128 * 12, n: 256 * 11, k: 4096 }, h100), 1);
});

test('tile quantization: an edge tile is mostly padding; the better of 128 × 256 and 256 × 128 is taken', () => {
  // M = 129 → two 128-row tiles (or one 256-row tile): 129/256 of the rows do real work
  const s = { batch: 1, m: 129, n: 256 * 132, k: 4096 };
  const rows128 = (129 * 256 * 132) / (Math.ceil((2 * 132) / 132) * 132 * 128 * 256);
  const rows256 = (129 * 256 * 132) / (Math.ceil((1 * 132 * 2) / 132) * 132 * 256 * 128);
  assert.equal(gemmQuantization(s, h100), Math.max(rows128, rows256));
  assert.ok(gemmQuantization(s, h100) < 0.51);
});

test('a thin GEMM is bound by HBM, not FLOPs', () => {
  const s = { batch: 1, m: 8192, n: 8192, k: 16 };
  const bytes = 2 * (8192 * 16 + 16 * 8192 + 8192 * 8192);
  const expected = KERNEL_LAUNCH_US + (bytes / (h100.hbmBandwidth * h100.memoryEfficiency)) * 1e6;
  assert.ok(Math.abs(gemmTimeUs(s, 'bfloat16', h100) - expected) < 1e-9);
});

test('efficiency grows with size toward η and never exceeds it', () => {
  let last = 0;
  for (const n of [256, 1024, 4096, 16384]) {
    const e = gemmEfficiency({ batch: 1, m: n, n, k: n }, 'bfloat16', a100);
    assert.ok(e <= a100.computeEfficiency + 1e-12, `n=${n}: ${e}`);
    assert.ok(e >= last, `n=${n}: ${e} < ${last}`);
    last = e;
  }
  assert.ok(last > 0.97 * a100.computeEfficiency);
});

test('the GEMM of a matmul op from its operand shapes', () => {
  assert.deepEqual(gemmOfOperands([4, 2048, 6144], [6144, 2304]), { batch: 1, m: 8192, n: 2304, k: 6144 });
  assert.deepEqual(gemmOfOperands([4, 8, 2048, 128], [4, 8, 128, 2048]), { batch: 32, m: 2048, n: 2048, k: 128 });
  assert.deepEqual(gemmOfOperands([2048, 64], [3, 64, 32]), { batch: 3, m: 2048, n: 32, k: 64 });
  assert.equal(gemmOfOperands([5], [5, 3]), undefined);
});
