/**
 * Estimated time of one compute op on one GPU: the roofline model.
 *
 *   t_compute = flops / (peak[dtype] · computeEfficiency)
 *   t_memory  = bytes / (hbmBandwidth · memoryEfficiency)
 *   time      = KERNEL_LAUNCH_US + max(t_compute, t_memory)      (µs; 0 if flops = bytes = 0)
 *   bound     = 'compute' if t_compute >= t_memory, else 'memory'
 *   arithmeticIntensity = flops / bytes   (FLOP per HBM byte; Infinity if bytes = 0 < flops)
 *
 * dtype → peak: 'bfloat16' → bf16, 'float16' → fp16, 'tf32' → tf32 (tensor cores),
 * 'float32' → fp32 (CUDA cores). A float32 matmul that runs on tensor cores with TF32
 * rounding (PyTorch `allow_tf32`) should be passed as 'tf32' by the caller.
 */
import type { HardwarePreset, PeakFlops } from './hardware.js';

export type ComputeDType = 'float32' | 'bfloat16' | 'float16' | 'tf32';

export interface ComputeCostInput {
  flops: number;
  /** HBM bytes read + written. */
  bytes: number;
  dtype: ComputeDType;
  hw: HardwarePreset;
}

export interface ComputeCost {
  timeUs: number;
  bound: 'compute' | 'memory';
  /** FLOP per HBM byte. */
  arithmeticIntensity: number;
}

/**
 * Fixed cost added to every non-empty kernel, µs. Assumption: a CUDA kernel launch costs
 * ~2-5 µs from the host; in a busy stream launches overlap the previous kernel, so we
 * take the low end, 2 µs, as the per-kernel gap a profiler shows between back-to-back
 * kernels plus launch tail.
 */
export const KERNEL_LAUNCH_US = 2;

const PEAK_KEY: Readonly<Record<ComputeDType, keyof PeakFlops>> = Object.freeze({
  float32: 'fp32',
  bfloat16: 'bf16',
  float16: 'fp16',
  tf32: 'tf32',
});

/** Roofline time of one op; formulas in the file comment. */
export function computeTimeUs(input: ComputeCostInput): ComputeCost {
  const { flops, bytes, dtype, hw } = input;
  if (!(Number.isFinite(flops) && flops >= 0)) {
    throw new RangeError(`computeTimeUs: flops must be a finite number >= 0, got ${flops}.`);
  }
  if (!(Number.isFinite(bytes) && bytes >= 0)) {
    throw new RangeError(`computeTimeUs: bytes must be a finite number >= 0, got ${bytes}.`);
  }
  const key = PEAK_KEY[dtype];
  if (key === undefined) throw new RangeError(`computeTimeUs: unknown dtype '${String(dtype)}'.`);

  const arithmeticIntensity = bytes > 0 ? flops / bytes : flops > 0 ? Infinity : 0;
  if (flops === 0 && bytes === 0) return { timeUs: 0, bound: 'memory', arithmeticIntensity };

  const computeUs = (flops / (hw.peakFlops[key] * hw.computeEfficiency)) * 1e6;
  const memoryUs = (bytes / (hw.hbmBandwidth * hw.memoryEfficiency)) * 1e6;
  return {
    timeUs: (hw.kernelLaunchUs ?? KERNEL_LAUNCH_US) + Math.max(computeUs, memoryUs),
    bound: computeUs >= memoryUs ? 'compute' : 'memory',
    arithmeticIntensity,
  };
}

/**
 * The same roofline time as {@link computeTimeUs}, as a bare number and without argument checks:
 * the simulator's per-op hot path (its callers pass counts they computed).
 */
export function roofline(flops: number, bytes: number, dtype: ComputeDType, hw: HardwarePreset): number {
  if (flops === 0 && bytes === 0) return 0;
  const computeUs = (flops / (hw.peakFlops[PEAK_KEY[dtype]] * hw.computeEfficiency)) * 1e6;
  const memoryUs = (bytes / (hw.hbmBandwidth * hw.memoryEfficiency)) * 1e6;
  return (hw.kernelLaunchUs ?? KERNEL_LAUNCH_US) + (computeUs > memoryUs ? computeUs : memoryUs);
}
