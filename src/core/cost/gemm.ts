/**
 * Time of one matrix multiplication on one GPU: a roofline whose compute side depends on the
 * shape through tile and wave quantization (NVIDIA, "Matrix Multiplication Background User's
 * Guide", Deep Learning Performance docs: §"Tile quantization" and §"Wave quantization").
 * The curve, its constants and their sources: docs/gemm-efficiency.md.
 *
 * C [M, N] = A [M, K] · B [K, N], `batch` independent products (a batched GEMM):
 *   tiles   = batch · ⌈M / Tm⌉ · ⌈N / Tn⌉          the output cut into Tm × Tn tiles (128 × 256,
 *                                                   or 256 × 128, whichever wastes less)
 *   fill    = batch·M·N / (tiles · Tm·Tn)          tile quantization: the padding of edge tiles
 *   waves   = ⌈tiles·k / SMs⌉, for the best split k ≤ ⌊K / 1024⌋ of the reduction dimension on
 *             parts whose cuBLAS splits K to fill a ragged last wave (HardwarePreset.splitK: the
 *             H100/H200, measured; k = 1 on the A100, as in the cuBLAS 11 of the runs we check)
 *   quant   = fill · tiles·k / (waves · SMs)        ∈ (0, 1]
 *   t_compute = 2·batch·M·N·K / (peak · η · quant · align)   η: the large-GEMM efficiency of the part
 *                                                   (HardwarePreset.computeEfficiency); align 1, or
 *                                                   MISALIGNED_FACTOR when n or k is not a multiple of 8
 *   t_memory  = bytesPerElement · batch · (M·K + K·N + M·N) / (HBM bandwidth · memoryEfficiency)
 *   time      = kernel launch + max(t_compute, t_memory)
 * So a GEMM's efficiency is η · quant when compute-bound: η for shapes that fill whole waves of
 * whole tiles, less when the edge tiles are mostly padding or the last wave runs a few tiles of a
 * short-K product (e.g. 133 tiles on 132 SMs with K < 2048: two waves for 1.01 waves of work).
 * η and the split-K rule are checked against measured H200 timings (test/core/gemm.test.ts).
 *
 * The simulator charges every `matmul` op this time (src/core/context.ts) and the planner sums it
 * over the GEMMs of a layer (src/planner/gemms.ts), so the two agree by construction.
 */
import type { HardwarePreset } from './hardware.js';
import type { ComputeDType } from './computeTime.js';
import { KERNEL_LAUNCH_US } from './computeTime.js';

/** One (batched) matrix product: batch × ([m, k] · [k, n]). */
export interface GemmShape {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** The output tile of the largest CUTLASS / cuBLAS bf16 kernels on Ampere and Hopper (Tm × Tn). */
export const GEMM_TILE: readonly [number, number] = Object.freeze([128, 256]) as readonly [number, number];

const PEAK: Readonly<Record<ComputeDType, 'bf16' | 'fp16' | 'fp32' | 'tf32'>> = { bfloat16: 'bf16', float16: 'fp16', float32: 'fp32', tf32: 'tf32' };
const ELEMENT_BYTES: Readonly<Record<ComputeDType, number>> = { bfloat16: 2, float16: 2, float32: 4, tf32: 4 };

/** K chunk below which cuBLAS does not split the reduction dimension across SMs (split-K / stream-K). */
export const SPLIT_K_CHUNK = 1024;

/** Useful share of the SMs' busy time for one tile orientation, the best split of K (see the file comment). */
function quantFor(s: GemmShape, tm: number, tn: number, sms: number, splitK: boolean): number {
  const tiles = s.batch * Math.ceil(s.m / tm) * Math.ceil(s.n / tn);
  const fill = (s.batch * s.m * s.n) / (tiles * tm * tn);
  const splits = splitK ? Math.max(1, Math.floor(s.k / SPLIT_K_CHUNK)) : 1;
  let best = 0;
  for (let k = 1; k <= splits; k++) {
    const units = tiles * k;
    const q = units / (Math.ceil(units / sms) * sms);
    if (q > best) best = q;
    if (best === 1) break;
  }
  return fill * best;
}

/**
 * Tile × wave quantization of a GEMM, in (0, 1]: the fraction of the SMs' busy time that computes
 * real output — the better of the 128 × 256 and 256 × 128 tilings, and (where the part's cuBLAS
 * has split-K / stream-K kernels: `hw.splitK`) of splitting K into up to ⌊K / 1024⌋ parts.
 */
export function gemmQuantization(s: GemmShape, hw: Pick<HardwarePreset, 'sms' | 'splitK'>): number {
  if (s.batch * s.m * s.n === 0) return 1;
  const [a, b] = GEMM_TILE;
  const splitK = hw.splitK ?? false;
  return Math.max(quantFor(s, a, b, hw.sms, splitK), quantFor(s, b, a, hw.sms, splitK));
}

/**
 * Throughput left when a row of B or C is not 16-byte aligned (n or k not a multiple of 8
 * elements): cuBLAS falls back to kernels without TMA / vectorised loads. Measured on an H200:
 * 107–114 TFLOP/s for n = 4097 (m ≥ 640, k = 4096) against 690 for n = 4096 (docs/gemm-efficiency.md).
 */
export const MISALIGNED_FACTOR = 0.16;

/** FLOPs of the GEMM: 2·batch·m·n·k. */
export function gemmFlops(s: GemmShape): number {
  return 2 * s.batch * s.m * s.n * s.k;
}

/** Time of one GEMM, µs (formula in the file comment); 0 for an empty product. */
export function gemmTimeUs(s: GemmShape, dtype: ComputeDType, hw: HardwarePreset): number {
  const flops = gemmFlops(s);
  const bytes = ELEMENT_BYTES[dtype] * s.batch * (s.m * s.k + s.k * s.n + s.m * s.n);
  if (flops === 0 && bytes === 0) return 0;
  const aligned = s.n % 8 === 0 && s.k % 8 === 0 ? 1 : MISALIGNED_FACTOR;
  const computeUs = flops > 0 ? (flops / (hw.peakFlops[PEAK[dtype]] * hw.computeEfficiency * gemmQuantization(s, hw) * aligned)) * 1e6 : 0;
  const memoryUs = (bytes / (hw.hbmBandwidth * hw.memoryEfficiency)) * 1e6;
  return (hw.kernelLaunchUs ?? KERNEL_LAUNCH_US) + Math.max(computeUs, memoryUs);
}

/** Achieved fraction of the dtype's peak FLOP/s: flops / (time · peak). */
export function gemmEfficiency(s: GemmShape, dtype: ComputeDType, hw: HardwarePreset): number {
  const t = gemmTimeUs(s, dtype, hw);
  return t > 0 ? gemmFlops(s) / ((t / 1e6) * hw.peakFlops[PEAK[dtype]]) : 0;
}

/**
 * The GEMM of a `matmul` op from its operand shapes: a [..., m, k] · b [..., k, n]. A 2-D `b` (a
 * weight) folds a's leading dims into m, as a linear layer does; otherwise the broadcast batch
 * dims multiply. Undefined when the shapes are not a matmul's.
 */
export function gemmOfOperands(a: readonly number[], b: readonly number[]): GemmShape | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const k = a[a.length - 1];
  const n = b[b.length - 1];
  if (b.length === 2) {
    let m = 1;
    for (let i = 0; i < a.length - 1; i++) m *= a[i];
    return { batch: 1, m, n, k };
  }
  const m = a[a.length - 2];
  let batch = 1;
  const nb = Math.max(a.length, b.length) - 2;
  for (let i = 0; i < nb; i++) batch *= Math.max(a[a.length - 3 - i] ?? 1, b[b.length - 3 - i] ?? 1);
  return { batch, m, n, k };
}
