/**
 * Time of one matrix multiplication on one GPU: a roofline whose compute side depends on the
 * shape through tile and wave quantization (NVIDIA, "Matrix Multiplication Background User's
 * Guide", Deep Learning Performance docs: §"Tile quantization" and §"Wave quantization").
 * The curve, its constants and their sources: docs/gemm-efficiency.md.
 *
 * C [M, N] = A [M, K] · B [K, N], `batch` independent products (a batched GEMM):
 *   tiles   = batch · ⌈M / Tm⌉ · ⌈N / Tn⌉          the output cut into Tm × Tn tiles (128 × 256,
 *                                                   or 256 × 128, whichever wastes less)
 *   waves   = ⌈tiles / SMs⌉                        each SM computes one tile at a time
 *   quant   = batch·M·N / (waves · SMs · Tm·Tn)    useful share of the work the SMs are busy for
 *   t_compute = 2·batch·M·N·K / (peak · η · quant)   η: the large-GEMM efficiency of the part
 *                                                   (HardwarePreset.computeEfficiency)
 *   t_memory  = bytesPerElement · batch · (M·K + K·N + M·N) / (HBM bandwidth · memoryEfficiency)
 *   time      = kernel launch + max(t_compute, t_memory)
 * So a GEMM's efficiency is η · quant when compute-bound: η for shapes that fill whole waves of
 * whole tiles, less when the last wave runs a few tiles (e.g. 133 tiles on 132 SMs: two waves
 * for 1.01 waves of work, half the throughput) or the edge tiles are mostly padding.
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

/** Useful share of the tiles × waves the SMs run, for one tile orientation. */
function quantFor(s: GemmShape, tm: number, tn: number, sms: number): number {
  const tiles = s.batch * Math.ceil(s.m / tm) * Math.ceil(s.n / tn);
  const waves = Math.ceil(tiles / sms);
  return (s.batch * s.m * s.n) / (waves * sms * tm * tn);
}

/**
 * Tile × wave quantization of a GEMM's output, in (0, 1]: the fraction of the SMs' busy time that
 * computes real output. The better of the 128 × 256 and 256 × 128 tilings (cuBLAS picks its kernel per shape).
 */
export function gemmQuantization(s: GemmShape, hw: Pick<HardwarePreset, 'sms'>): number {
  if (s.batch * s.m * s.n === 0) return 1;
  const [a, b] = GEMM_TILE;
  return Math.max(quantFor(s, a, b, hw.sms), quantFor(s, b, a, hw.sms));
}

/** FLOPs of the GEMM: 2·batch·m·n·k. */
export function gemmFlops(s: GemmShape): number {
  return 2 * s.batch * s.m * s.n * s.k;
}

/** Time of one GEMM, µs (formula in the file comment); 0 for an empty product. */
export function gemmTimeUs(s: GemmShape, dtype: ComputeDType, hw: HardwarePreset): number {
  const flops = gemmFlops(s);
  const bytes = ELEMENT_BYTES[dtype] * s.batch * (s.m * s.k + s.k * s.n + s.m * s.n);
  if (flops === 0 && bytes === 0) return 0;
  const computeUs = flops > 0 ? (flops / (hw.peakFlops[PEAK[dtype]] * hw.computeEfficiency * gemmQuantization(s, hw))) * 1e6 : 0;
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
