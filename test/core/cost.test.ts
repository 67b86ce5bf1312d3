import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HARDWARE,
  KERNEL_LAUNCH_US,
  UnknownHardwareError,
  InvalidHardwareError,
  busBandwidthFactor,
  collectiveTimeUs,
  computeTimeUs,
  getHardware,
  groupLinkClass,
  linkBetween,
  linkParams,
  nodeOf,
  p2pTimeUs,
  type CollectiveCostInput,
} from '../../src/core/cost/index.js';

/** |actual − expected| <= 1e-9 relative (or 1e-12 absolute near 0). */
function close(actual: number, expected: number, what = ''): void {
  const tol = Math.max(1e-12, Math.abs(expected) * 1e-9);
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual}`);
}

const h100 = getHardware('h100-sxm');
const a100 = getHardware('a100-80gb');
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const coll = (p: Partial<CollectiveCostInput> & Pick<CollectiveCostInput, 'op' | 'ranks'>) =>
  collectiveTimeUs({ algorithm: 'ring', bytes: 0, hw: h100, gpusPerNode: 8, ...p });

// ---------- hardware ----------

test('presets carry the datasheet numbers', () => {
  assert.deepEqual(Object.keys(HARDWARE).sort(), ['a100-80gb', 'h100-sxm', 'h200']);
  assert.equal(a100.peakFlops.bf16, 312e12);
  assert.equal(a100.peakFlops.fp32, 19.5e12);
  assert.equal(a100.peakFlops.tf32, 156e12);
  assert.equal(a100.hbmBandwidth, 2039e9);
  assert.equal(a100.nvlinkBandwidth, 300e9);
  assert.equal(a100.nicBandwidth, 25e9);
  // what CUDA reports as each device's total (torch's "total capacity"), not the datasheet's GB as 1e9 bytes
  assert.ok(Math.abs(a100.memoryBytes - 79.35 * 2 ** 30) < 2 ** 20, String(a100.memoryBytes));
  assert.ok(Math.abs(h100.memoryBytes - 79.19 * 2 ** 30) < 2 ** 20, String(h100.memoryBytes));
  assert.equal(h100.peakFlops.bf16, 989e12);
  assert.equal(h100.peakFlops.fp32, 67e12);
  assert.equal(h100.peakFlops.tf32, 494.5e12);
  assert.equal(h100.hbmBandwidth, 3.35e12);
  assert.equal(h100.nvlinkBandwidth, 450e9);
  assert.equal(h100.nicBandwidth, 50e9);
  const h200 = getHardware('h200');
  assert.ok(Math.abs(h200.memoryBytes - 139.8 * 2 ** 30) < 2 ** 20, String(h200.memoryBytes));
  assert.equal(h200.hbmBandwidth, 4.8e12);
  assert.equal(h200.peakFlops.bf16, 989e12);
  for (const hw of Object.values(HARDWARE)) assert.equal(hw.gpusPerNode, 8);
});

test('aliases resolve case-insensitively', () => {
  assert.equal(getHardware('A100').id, 'a100-80gb');
  assert.equal(getHardware(' h100 ').id, 'h100-sxm');
  assert.equal(getHardware('H100-SXM').id, 'h100-sxm');
  assert.equal(getHardware('H200').id, 'h200');
  assert.equal(getHardware('a100'), HARDWARE['a100-80gb']);
});

test('unknown hardware id throws naming the id and the known ids', () => {
  assert.throws(
    () => getHardware('v100'),
    (e: unknown) => {
      assert.ok(e instanceof UnknownHardwareError);
      assert.match(e.message, /'v100'/);
      for (const id of ['a100-80gb', 'h100-sxm', 'h200']) assert.ok(e.message.includes(id), e.message);
      return true;
    },
  );
});

test('presets are frozen; overrides merge peakFlops and are validated', () => {
  assert.ok(Object.isFrozen(HARDWARE));
  assert.ok(Object.isFrozen(h100) && Object.isFrozen(h100.peakFlops));
  assert.throws(() => {
    (h100 as { hbmBandwidth: number }).hbmBandwidth = 1;
  }, TypeError);
  const custom = getHardware('h100', { peakFlops: { bf16: 1e15 }, gpusPerNode: 4 });
  assert.equal(custom.peakFlops.bf16, 1e15);
  assert.equal(custom.peakFlops.fp32, 67e12);
  assert.equal(custom.gpusPerNode, 4);
  assert.ok(Object.isFrozen(custom) && Object.isFrozen(custom.peakFlops));
  assert.equal(h100.peakFlops.bf16, 989e12, 'preset unchanged');
  assert.throws(() => getHardware('h100', { computeEfficiency: 1.5 }), InvalidHardwareError);
  assert.throws(() => getHardware('h100', { nicBandwidth: 0 }), /nicBandwidth/);
  assert.throws(() => getHardware('h100', { gpusPerNode: 2.5 }), /gpusPerNode/);
});

// ---------- links ----------

test('nodes and link classes', () => {
  assert.equal(nodeOf(7, 8), 0);
  assert.equal(nodeOf(8, 8), 1);
  assert.equal(nodeOf(17, 4), 4);
  assert.equal(linkBetween(0, 7, 8), 'nvlink');
  assert.equal(linkBetween(7, 8, 8), 'nic');
  assert.equal(linkBetween(3, 4, 4), 'nic');
  assert.equal(groupLinkClass([0, 1, 2, 3], 8), 'nvlink');
  assert.equal(groupLinkClass([8, 15], 8), 'nvlink');
  assert.equal(groupLinkClass([0, 8], 8), 'nic');
  assert.equal(groupLinkClass([5], 8), 'nvlink');
  assert.throws(() => nodeOf(-1, 8), RangeError);
  assert.throws(() => nodeOf(1, 0), RangeError);
});

test('p2p time is alpha + bytes / bandwidth', () => {
  assert.deepEqual(linkParams(h100, 'nvlink'), { alphaUs: 3, bandwidth: 450e9 });
  // the A100's NVLink at NCCL's 20 of 25 GB/s per link (topo.h SM80_NVLINK_BW): 240 of 300 GB/s
  assert.deepEqual(linkParams(a100, 'nvlink'), { alphaUs: 3, bandwidth: 240e9 });
  assert.deepEqual(linkParams(a100, 'nic'), { alphaUs: 8, bandwidth: 25e9 });
  assert.deepEqual(linkParams(h100, 'nic'), { alphaUs: 8, bandwidth: 50e9 });
  assert.equal(p2pTimeUs(0, h100, 'nvlink'), 3);
  assert.equal(p2pTimeUs(0, h100, 'nic'), 8);
  // A100 NIC: 25e6 B / 25e9 B/s = 1 ms = 1000 µs, plus α 8 µs.
  close(p2pTimeUs(25e6, a100, 'nic'), 1008);
  // H100 NVLink: 9e6 B / 450e9 B/s = 20 µs, plus α 3 µs.
  close(p2pTimeUs(9e6, h100, 'nvlink'), 23);
});

// ---------- collectives ----------

test('H100 ring all_reduce of 4 MiB on 4 ranks of one node', () => {
  // 2(n−1) = 6 steps · 3 µs = 18 µs; 2(n−1)/n · S = 1.5 · 4194304 = 6291456 B at 450e9 B/s
  // = 13.981013333... µs; total 31.981013333... µs.
  const c = coll({ op: 'all_reduce', ranks: [0, 1, 2, 3], bytes: 4_194_304 });
  assert.equal(c.link, 'nvlink');
  assert.equal(c.steps, 6);
  close(c.timeUs, 31.98101333333333);
  // busbw = 1.5 · 4194304 B / 31.981013333 µs = 196.7247233e9 B/s
  close(c.busBandwidth, 196724723335.84595);
});

test('a group spanning two 8-GPU nodes uses the NIC', () => {
  // Ranks 6,7 on node 0 and 8,9 on node 1: α 8 µs, β 50e9 B/s.
  // 6 · 8 = 48 µs + 6291456 B / 50e9 B/s = 125.82912 µs → 173.82912 µs.
  const c = coll({ op: 'all_reduce', ranks: [6, 7, 8, 9], bytes: 4_194_304 });
  assert.equal(c.link, 'nic');
  close(c.timeUs, 173.82912);
  // Same ranks with 4-GPU nodes (6,7 on node 1; 8,9 on node 2) still span nodes;
  // with 16-GPU nodes they don't.
  assert.equal(coll({ op: 'all_reduce', ranks: [6, 7, 8, 9], bytes: 1, gpusPerNode: 16 }).link, 'nvlink');
});

test('one rank costs nothing', () => {
  for (const op of ['all_reduce', 'all_gather', 'broadcast', 'all_to_all', 'barrier'] as const) {
    const c = coll({ op, ranks: [5], bytes: 1e9 });
    assert.equal(c.timeUs, 0, op);
    assert.equal(c.steps, 0, op);
    assert.equal(c.busBandwidth, 0, op);
  }
});

test('tree all_reduce: 2⌈log2 n⌉ steps, 2·S/β bandwidth term', () => {
  // A100, 8 ranks, S = 1e9 B, NVLink at NCCL's 240 of its 300 GB/s: 2·3 = 6 steps · 3 µs = 18 µs
  // + 2e9 / 240e9 s = 8333.333… µs.
  const tree = coll({ op: 'all_reduce', algorithm: 'tree', ranks: range(0, 8), bytes: 1e9, hw: a100 });
  assert.equal(tree.steps, 6);
  close(tree.timeUs, 8351.333333333334);
  // Ring on the same: 14 · 3 = 42 µs + 1.75e9 / 240e9 s = 7291.666… µs → ring wins for big S.
  const ring = coll({ op: 'all_reduce', ranks: range(0, 8), bytes: 1e9, hw: a100 });
  assert.equal(ring.steps, 14);
  close(ring.timeUs, 7333.666666666667);
  // its bus bandwidth, as nccl-tests would print it: 1.75e9 B / 7333.67 µs = 238.6 GB/s
  close(ring.busBandwidth, 1.75e9 / (7333.666666666667e-6));
  // Non-power-of-two: n = 5 → ⌈log2 5⌉ = 3; n = 2 → 1.
  assert.equal(coll({ op: 'all_reduce', algorithm: 'tree', ranks: range(0, 5) }).steps, 6);
  assert.equal(coll({ op: 'all_reduce', algorithm: 'tree', ranks: [0, 1] }).steps, 2);
});

test('barrier is a latency-only all_reduce and ignores bytes', () => {
  // 8 ranks H100 NVLink α = 3: ring 14·3 = 42, tree 6·3 = 18, direct 2·3 = 6.
  assert.equal(coll({ op: 'barrier', ranks: range(0, 8), bytes: 1e9 }).timeUs, 42);
  assert.equal(coll({ op: 'barrier', algorithm: 'tree', ranks: range(0, 8) }).timeUs, 18);
  assert.equal(coll({ op: 'barrier', algorithm: 'direct', ranks: range(0, 8) }).timeUs, 6);
  assert.equal(coll({ op: 'barrier', ranks: range(0, 8) }).busBandwidth, 0);
});

test('all_gather / reduce_scatter ring and direct', () => {
  // 8 ranks H100, S = 8e6 B (full output): (n−1)/n · S = 7e6 B / 450e9 = 15.5555… µs.
  const ring = coll({ op: 'all_gather', ranks: range(0, 8), bytes: 8e6 });
  assert.equal(ring.steps, 7);
  close(ring.timeUs, 21 + 15.555555555555555);
  const direct = coll({ op: 'reduce_scatter', algorithm: 'direct', ranks: range(0, 8), bytes: 8e6 });
  assert.equal(direct.steps, 1);
  close(direct.timeUs, 3 + 15.555555555555555);
  // NCCL has no tree all_gather: the model falls back to ring and says so.
  const tree = coll({ op: 'all_gather', algorithm: 'tree', ranks: range(0, 8), bytes: 8e6 });
  assert.equal(tree.algorithm, 'ring');
  close(tree.timeUs, ring.timeUs);
  // Direct all_reduce: 2 steps, 2 · 7e6 B → 6 + 31.111… µs.
  const ar = coll({ op: 'all_reduce', algorithm: 'direct', ranks: range(0, 8), bytes: 8e6 });
  assert.equal(ar.steps, 2);
  close(ar.timeUs, 6 + 31.11111111111111);
});

test('broadcast / reduce: chain, tree, direct', () => {
  // 4 ranks H100, S = 9e6 B: S/β = 20 µs.
  close(coll({ op: 'broadcast', ranks: [0, 1, 2, 3], bytes: 9e6 }).timeUs, 9 + 20); // 3 hops
  close(coll({ op: 'reduce', algorithm: 'tree', ranks: [0, 1, 2, 3], bytes: 9e6 }).timeUs, 6 + 20); // 2 hops
  close(coll({ op: 'broadcast', algorithm: 'direct', ranks: [0, 1, 2, 3], bytes: 9e6 }).timeUs, 3 + 60); // root sends 3 copies
});

test('all_to_all is direct pairwise whatever the algorithm; send_recv is one message', () => {
  // 4 ranks H100, S = 9e6 B: 3 · 3 µs + 0.75 · 20 µs = 24 µs.
  const a = coll({ op: 'all_to_all', ranks: [0, 1, 2, 3], bytes: 9e6 });
  assert.equal(a.steps, 3);
  assert.equal(a.algorithm, 'direct');
  close(a.timeUs, 24);
  close(coll({ op: 'all_to_all', algorithm: 'tree', ranks: [0, 1, 2, 3], bytes: 9e6 }).timeUs, 24);
  // Ranks 0 and 8 with 8 GPUs per node: NIC, 8 µs + 1e6 / 50e9 s = 28 µs.
  const s = coll({ op: 'send_recv', ranks: [0, 8], bytes: 1e6 });
  assert.equal(s.link, 'nic');
  assert.equal(s.steps, 1);
  close(s.timeUs, 28);
  // busbw factor 1: algbw = 1e6 B / 28 µs.
  close(s.busBandwidth, 1e6 / 28e-6);
});

test('busBandwidth factors follow nccl-tests', () => {
  close(busBandwidthFactor('all_reduce', 8), 1.75);
  close(busBandwidthFactor('all_gather', 8), 0.875);
  close(busBandwidthFactor('reduce_scatter', 4), 0.75);
  close(busBandwidthFactor('all_to_all', 2), 0.5);
  assert.equal(busBandwidthFactor('broadcast', 8), 1);
  assert.equal(busBandwidthFactor('reduce', 8), 1);
  assert.equal(busBandwidthFactor('send_recv', 2), 1);
  // With α = 0, a ring's busbw equals the link bandwidth β (the definition's purpose).
  const noLat = getHardware('h100', { nvlinkLatencyUs: 0 });
  for (const op of ['all_reduce', 'all_gather', 'reduce_scatter', 'broadcast'] as const) {
    close(coll({ op, ranks: range(0, 8), bytes: 1e8, hw: noLat }).busBandwidth, 450e9, op);
  }
  // all_gather on 8 ranks: busbw = algbw · 7/8; algbw = 8e6 B / 36.5555… µs.
  const ag = coll({ op: 'all_gather', ranks: range(0, 8), bytes: 8e6 });
  close(ag.busBandwidth, (8e6 / 36.55555555555556e-6) * 0.875);
});

test('collective input is validated', () => {
  assert.throws(() => coll({ op: 'all_reduce', ranks: [] }), RangeError);
  assert.throws(() => coll({ op: 'all_reduce', ranks: [0, 0] }), /repeats/);
  assert.throws(() => coll({ op: 'all_reduce', ranks: [0, 1], bytes: -1 }), RangeError);
  assert.throws(() => coll({ op: 'all_reduce', ranks: [0, 1], gpusPerNode: 0 }), RangeError);
});

// ---------- compute ----------

test('4096³ bf16 matmul on H100 is compute-bound', () => {
  // flops = 2·4096³ = 137438953472; bytes = 3 · 4096² · 2 = 100663296.
  // compute: 137438953472 / (989e12 · 0.705) s = 197.1171589… µs (η of the h100 preset)
  // memory: 100663296 / (3.35e12 · 0.85) s = 35.35… µs
  const r = computeTimeUs({ flops: 137438953472, bytes: 100663296, dtype: 'bfloat16', hw: h100 });
  assert.equal(r.bound, 'compute');
  assert.equal(h100.computeEfficiency, 0.705);
  close(r.timeUs, 2 + 197.11715892118266);
  close(r.arithmeticIntensity, 1365.3333333333333);
  // fp32 on CUDA cores: / (67e12 · 0.705); tf32: / (494.5e12 · 0.705).
  close(computeTimeUs({ flops: 137438953472, bytes: 0, dtype: 'float32', hw: h100 }).timeUs, 2 + 2909.684629448502);
  close(computeTimeUs({ flops: 137438953472, bytes: 0, dtype: 'tf32', hw: h100 }).timeUs, 2 + 394.23431784236533);
});

test('elementwise op is memory-bound', () => {
  // GELU over 2^26 bf16 elements: read + write 2 · 2^26 · 2 B = 268435456 B, ~8 FLOP each.
  // memory: 268435456 / (3.35e12 · 0.85) s = 94.27057278… µs; compute: 0.72 µs.
  const r = computeTimeUs({ flops: 536870912, bytes: 268435456, dtype: 'bfloat16', hw: h100 });
  assert.equal(r.bound, 'memory');
  close(r.timeUs, 2 + 94.27057278314311);
  assert.equal(r.arithmeticIntensity, 2);
});

test('empty op costs nothing; launch overhead applies otherwise', () => {
  assert.equal(KERNEL_LAUNCH_US, 2);
  const z = computeTimeUs({ flops: 0, bytes: 0, dtype: 'float16', hw: a100 });
  assert.equal(z.timeUs, 0);
  assert.equal(z.arithmeticIntensity, 0);
  // 1 byte on A100: 1 / (2039e9 · 0.85) s ≈ 5.8e-7 µs, so time ≈ the launch overhead.
  const tiny = computeTimeUs({ flops: 0, bytes: 1, dtype: 'float16', hw: a100 });
  assert.ok(tiny.timeUs > 2 && tiny.timeUs < 2.000001, String(tiny.timeUs));
  assert.equal(computeTimeUs({ flops: 10, bytes: 0, dtype: 'float16', hw: a100 }).arithmeticIntensity, Infinity);
  assert.throws(() => computeTimeUs({ flops: -1, bytes: 0, dtype: 'float16', hw: a100 }), RangeError);
});
