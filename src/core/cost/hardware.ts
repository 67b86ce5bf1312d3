/**
 * Hardware presets for the cost model: peak compute, memory and interconnect of one GPU
 * in a DGX-style node. Every number names the public source it comes from; the
 * latencies and efficiencies are modelling assumptions and say so.
 *
 * Units: bytes, bytes per second, FLOP/s (dense, no structured sparsity), µs.
 */
import type { AttentionKernelCost } from './attention.js';

/** Dense peak throughput per dtype, FLOP/s (tensor cores where the dtype uses them). */
export interface PeakFlops {
  readonly bf16: number;
  readonly fp16: number;
  /** Non-tensor-core IEEE fp32 (CUDA cores). */
  readonly fp32: number;
  /** fp32 inputs on tensor cores with TF32 rounding. */
  readonly tf32: number;
}

export interface HardwarePreset {
  /** Canonical key in {@link HARDWARE}: 'a100-80gb' | 'h100-sxm' | 'h200'. */
  readonly id: string;
  /** Marketing name, e.g. "NVIDIA A100-SXM4-80GB". */
  readonly name: string;
  /**
   * Device memory in bytes: what CUDA reports as the device's total (cudaMemGetInfo; torch's
   * `get_device_properties().total_memory`, the "total capacity" of its out-of-memory message).
   * The "80 GB" of a datasheet is 80 GiB of HBM (nvidia-smi's memory.total: 81,920 MiB on the
   * A100 80GB), not 80e9 bytes; CUDA keeps a little of it back.
   */
  readonly memoryBytes: number;
  /** Dense (no sparsity) peak FLOP/s. */
  readonly peakFlops: PeakFlops;
  /** HBM bandwidth, bytes/s. */
  readonly hbmBandwidth: number;
  /** Per-GPU unidirectional NVLink bandwidth, bytes/s (NVIDIA quotes bidirectional = 2×). */
  readonly nvlinkBandwidth: number;
  /**
   * The fraction of `nvlinkBandwidth` NCCL's collectives move data at, in (0, 1] (NVLink packet
   * overheads); unset: 1. ./links.ts applies it.
   */
  readonly nvlinkEfficiency?: number;
  /** Per-GPU inter-node NIC bandwidth, bytes/s (one NIC per GPU, as in DGX). */
  readonly nicBandwidth: number;
  /** α of one NVLink message (per step of a collective), µs. Assumption. */
  readonly nvlinkLatencyUs: number;
  /** α of one inter-node message (per step of a collective), µs. Assumption. */
  readonly nicLatencyUs: number;
  /** GPUs sharing one NVLink domain (node). */
  readonly gpusPerNode: number;
  /** Streaming multiprocessors: how many GEMM output tiles run at once (./gemm.ts's wave quantization). */
  readonly sms: number;
  /**
   * cuBLAS splits the reduction dimension (split-K / stream-K) to fill a ragged last wave, so wave
   * quantization bites only short-K GEMMs (./gemm.ts). Measured on the H200; unset: no.
   */
  readonly splitK?: boolean;
  /**
   * η: the fraction of peak FLOP/s a large bf16 GEMM of whole waves of whole tiles reaches, in
   * (0, 1]; a GEMM's efficiency is η × its tile and wave quantization (./gemm.ts,
   * docs/gemm-efficiency.md). Other compute ops use it as their compute ceiling.
   */
  readonly computeEfficiency: number;
  /** FlashAttention's fused attention core per pass (./attention.ts); unset: computeEfficiency, no row cost. */
  readonly attention?: { readonly forward: AttentionKernelCost; readonly backward: AttentionKernelCost };
  /** Achievable fraction of HBM bandwidth for streaming kernels, in (0, 1]. Assumption. */
  readonly memoryEfficiency: number;
  /** Fixed cost of launching one kernel, µs (default KERNEL_LAUNCH_US). Assumption. */
  readonly kernelLaunchUs?: number;
}

/** What {@link getHardware} lets a caller change; `peakFlops` merges per dtype. */
export type HardwareOverrides = Partial<Omit<HardwarePreset, 'peakFlops'>> & {
  readonly peakFlops?: Partial<PeakFlops>;
};

/** Thrown by {@link getHardware} for an id that is neither a preset nor an alias. */
export class UnknownHardwareError extends Error {
  constructor(readonly hardwareId: string, readonly knownIds: readonly string[]) {
    super(
      `Unknown hardware id '${hardwareId}'. Known ids: ${knownIds.join(', ')} ` +
        `(aliases: ${Object.keys(ALIASES).join(', ')}; case-insensitive).`,
    );
    this.name = 'UnknownHardwareError';
  }
}

/** Thrown when a preset or an override holds a value that is out of range. */
export class InvalidHardwareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidHardwareError';
  }
}

/*
 * Shared modelling assumptions (not vendor numbers):
 * - α per hop: NCCL's own tuning model (src/graph/tuning.cc, `hwLat`) charges ~3.4 µs per
 *   ring step over NVLink with the Simple protocol (used for large messages) and several
 *   µs more over the network; we round to 3 µs (NVLink) and 8 µs (NIC).
 * - computeEfficiency η, the large-GEMM ceiling before tile and wave quantization (./gemm.ts,
 *   docs/gemm-efficiency.md): A100 0.75 (≈ 234 TFLOP/s; an assumption, no measurements at hand),
 *   H100/H200 0.705 (≈ 700 TFLOP/s; fitted to measured H200 GEMMs).
 * - memoryEfficiency 0.85: STREAM-like kernels reach ~80-90 % of HBM peak.
 */
const NVLINK_LATENCY_US = 3;
const NIC_LATENCY_US = 8;
const MEMORY_EFFICIENCY = 0.85;
/**
 * η of the H100 SXM and the H200 (same GH100 compute and clocks): fitted to 312 measured bf16
 * GEMMs on an H200 (torch 2.11, cuBLAS; shapes 256–16384 a side, each > 150 µs): 0.705, RMS error
 * 7 % (docs/gemm-efficiency.md).
 */
const H100_GEMM_EFFICIENCY = 0.705;
/** FlashAttention (torch 2.11 SDPA) on the H100/H200: fitted to its measured times on an H200 (./attention.ts). */
const H100_ATTENTION = Object.freeze({ forward: { efficiency: 0.7, rowNs: 1.13 }, backward: { efficiency: 0.66, rowNs: 2.43 } });
/** Binary gigabytes (GiB) in bytes, rounded to a whole MiB. */
const gib = (x: number): number => Math.round(x * 1024) * 2 ** 20;
const GPUS_PER_NODE = 8; // DGX A100 / DGX H100 / DGX H200: 8 GPUs per node.

const A100_80GB: HardwarePreset = Object.freeze({
  id: 'a100-80gb',
  name: 'NVIDIA A100-SXM4-80GB',
  memoryBytes: gib(79.35), // CUDA's total on the A100-SXM4-80GB (torch OOM: "79.35 GiB total capacity"; nvidia-smi 81,920 MiB).
  peakFlops: Object.freeze({
    bf16: 312e12, // A100 datasheet: BF16 Tensor Core 312 TFLOPS (624 with sparsity).
    fp16: 312e12, // A100 datasheet: FP16 Tensor Core 312 TFLOPS (624 with sparsity).
    fp32: 19.5e12, // A100 datasheet: FP32 19.5 TFLOPS.
    tf32: 156e12, // A100 datasheet: TF32 Tensor Core 156 TFLOPS (312 with sparsity).
  }),
  hbmBandwidth: 2039e9, // A100 datasheet: 80GB SXM GPU memory bandwidth 2,039 GB/s.
  nvlinkBandwidth: 300e9, // A100 datasheet: NVLink 600 GB/s bidirectional → 300 GB/s each way.
  // NCCL's own topology model takes an A100 NVLink at 20 GB/s of its 25 (src/graph/topo.h
  // SM80_NVLINK_BW 20.0: 12 links × 20 = 240 GB/s), "roughly, the app-level bandwidth is 80 % of the
  // peak bandwidth" (NCCL's lead, NVIDIA/nccl#1054); nccl-tests on 8 × A100 report ~200–240 GB/s
  // bus bandwidth. The A100's NVSwitch has no in-switch reduction (NVLS) to go beyond it.
  nvlinkEfficiency: 0.8,
  nicBandwidth: 25e9, // DGX A100 datasheet: 8× ConnectX-6 HDR InfiniBand 200 Gb/s = 25 GB/s per GPU.
  nvlinkLatencyUs: NVLINK_LATENCY_US,
  nicLatencyUs: NIC_LATENCY_US,
  gpusPerNode: GPUS_PER_NODE,
  sms: 108, // A100 whitepaper: 108 SMs on the A100 (GA100 full die: 128).
  computeEfficiency: 0.75, // Assumption (no A100 measurements at hand): see the shared notes above and docs/gemm-efficiency.md.
  // Assumption: FlashAttention-2 (Dao 2023) reports 50–73 % of peak on the A100; the H200's row costs
  attention: Object.freeze({ forward: { efficiency: 0.6, rowNs: 1.13 }, backward: { efficiency: 0.6, rowNs: 2.43 } }),
  memoryEfficiency: MEMORY_EFFICIENCY,
});

const H100_SXM: HardwarePreset = Object.freeze({
  id: 'h100-sxm',
  name: 'NVIDIA H100-SXM5-80GB',
  memoryBytes: gib(79.19), // CUDA's total on the H100 80GB HBM3 (torch OOM: "a total capacity of 79.19 GiB"; nvidia-smi 81,559 MiB).
  peakFlops: Object.freeze({
    bf16: 989e12, // H100 datasheet: BF16 Tensor Core 1,979 TFLOPS with sparsity → ~989 dense.
    fp16: 989e12, // H100 datasheet: FP16 Tensor Core 1,979 TFLOPS with sparsity → ~989 dense.
    fp32: 67e12, // H100 datasheet: FP32 67 TFLOPS.
    tf32: 494.5e12, // H100 datasheet: TF32 Tensor Core 989 TFLOPS with sparsity → 494.5 dense.
  }),
  hbmBandwidth: 3.35e12, // H100 datasheet: H100 SXM GPU memory bandwidth 3.35 TB/s.
  nvlinkBandwidth: 450e9, // H100 datasheet: NVLink 900 GB/s bidirectional → 450 GB/s each way.
  nicBandwidth: 50e9, // DGX H100 datasheet: 8× ConnectX-7 NDR 400 Gb/s = 50 GB/s per GPU.
  nvlinkLatencyUs: NVLINK_LATENCY_US,
  nicLatencyUs: NIC_LATENCY_US,
  gpusPerNode: GPUS_PER_NODE,
  sms: 132, // H100 whitepaper: 132 SMs on the H100 SXM5 (GH100 full die: 144).
  splitK: true, // measured on the H200 (same GH100): see docs/gemm-efficiency.md
  computeEfficiency: H100_GEMM_EFFICIENCY,
  attention: H100_ATTENTION,
  memoryEfficiency: MEMORY_EFFICIENCY,
});

const H200: HardwarePreset = Object.freeze({
  id: 'h200',
  name: 'NVIDIA H200-SXM-141GB',
  memoryBytes: gib(139.8), // CUDA's total on the H200 (torch OOM: "a total capacity of 139.80 GiB"; nvidia-smi 143,771 MiB; datasheet 141 GB).
  peakFlops: Object.freeze({
    bf16: 989e12, // H200 datasheet: BF16 Tensor Core 1,979 TFLOPS with sparsity → ~989 dense.
    fp16: 989e12, // H200 datasheet: FP16 Tensor Core 1,979 TFLOPS with sparsity → ~989 dense.
    fp32: 67e12, // H200 datasheet: FP32 67 TFLOPS.
    tf32: 494.5e12, // H200 datasheet: TF32 Tensor Core 989 TFLOPS with sparsity → 494.5 dense.
  }),
  hbmBandwidth: 4.8e12, // H200 datasheet: GPU memory bandwidth 4.8 TB/s.
  nvlinkBandwidth: 450e9, // H200 datasheet: NVLink 900 GB/s bidirectional → 450 GB/s each way.
  nicBandwidth: 50e9, // DGX H200 datasheet: 8× ConnectX-7 NDR 400 Gb/s = 50 GB/s per GPU.
  nvlinkLatencyUs: NVLINK_LATENCY_US,
  nicLatencyUs: NIC_LATENCY_US,
  gpusPerNode: GPUS_PER_NODE,
  sms: 132, // H200 datasheet: the H100's GH100 with 132 SMs and the same clocks; only the memory differs.
  splitK: true, // measured: 312 GEMMs on an H200, docs/gemm-efficiency.md
  computeEfficiency: H100_GEMM_EFFICIENCY,
  attention: H100_ATTENTION,
  memoryEfficiency: MEMORY_EFFICIENCY,
});

/** The presets, keyed by canonical id. */
export const HARDWARE: Readonly<Record<string, HardwarePreset>> = Object.freeze({
  [A100_80GB.id]: A100_80GB,
  [H100_SXM.id]: H100_SXM,
  [H200.id]: H200,
});

/** Short names accepted by {@link getHardware} (lower-case) → canonical id. */
const ALIASES: Readonly<Record<string, string>> = Object.freeze({
  a100: 'a100-80gb',
  h100: 'h100-sxm',
});

/** Canonical id for `id` (case-insensitive, alias-aware), or undefined. */
export function resolveHardwareId(id: string): string | undefined {
  const key = id.trim().toLowerCase();
  if (Object.prototype.hasOwnProperty.call(HARDWARE, key)) return key;
  return Object.prototype.hasOwnProperty.call(ALIASES, key) ? ALIASES[key] : undefined;
}

/**
 * The preset for `id` ('a100-80gb' | 'h100-sxm' | 'h200', or alias 'a100' | 'h100',
 * case-insensitive), with `overrides` applied (peakFlops merged per dtype). The result is
 * frozen and validated. Throws {@link UnknownHardwareError} for an unknown id and
 * {@link InvalidHardwareError} for an out-of-range override.
 */
export function getHardware(id: string, overrides?: HardwareOverrides): HardwarePreset {
  const key = resolveHardwareId(id);
  if (key === undefined) throw new UnknownHardwareError(id, Object.keys(HARDWARE));
  const base = HARDWARE[key]!;
  if (overrides === undefined) return base;
  const merged: HardwarePreset = Object.freeze({
    ...base,
    ...overrides,
    peakFlops: Object.freeze({ ...base.peakFlops, ...overrides.peakFlops }),
  });
  validateHardware(merged);
  return merged;
}

/** Checks every number of `hw` is in range; throws {@link InvalidHardwareError} naming the field. */
export function validateHardware(hw: HardwarePreset): void {
  const positive = (field: string, v: number): void => {
    if (!(Number.isFinite(v) && v > 0)) {
      throw new InvalidHardwareError(`Hardware '${hw.id}': ${field} must be a positive finite number, got ${v}.`);
    }
  };
  for (const [dtype, v] of Object.entries(hw.peakFlops)) positive(`peakFlops.${dtype}`, v);
  positive('memoryBytes', hw.memoryBytes);
  positive('hbmBandwidth', hw.hbmBandwidth);
  positive('nvlinkBandwidth', hw.nvlinkBandwidth);
  positive('nicBandwidth', hw.nicBandwidth);
  for (const field of ['nvlinkLatencyUs', 'nicLatencyUs', 'kernelLaunchUs'] as const) {
    const v = hw[field] ?? 0;
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new InvalidHardwareError(`Hardware '${hw.id}': ${field} must be a finite number >= 0, got ${v}.`);
    }
  }
  if (!(Number.isInteger(hw.sms) && hw.sms >= 1)) {
    throw new InvalidHardwareError(`Hardware '${hw.id}': sms must be an integer >= 1, got ${hw.sms}.`);
  }
  if (!(Number.isInteger(hw.gpusPerNode) && hw.gpusPerNode >= 1)) {
    throw new InvalidHardwareError(`Hardware '${hw.id}': gpusPerNode must be an integer >= 1, got ${hw.gpusPerNode}.`);
  }
  if (hw.nvlinkEfficiency !== undefined && !(hw.nvlinkEfficiency > 0 && hw.nvlinkEfficiency <= 1)) {
    throw new InvalidHardwareError(`Hardware '${hw.id}': nvlinkEfficiency must be in (0, 1], got ${hw.nvlinkEfficiency}.`);
  }
  for (const field of ['computeEfficiency', 'memoryEfficiency'] as const) {
    const v = hw[field];
    if (!(v > 0 && v <= 1)) {
      throw new InvalidHardwareError(`Hardware '${hw.id}': ${field} must be in (0, 1], got ${v}.`);
    }
  }
}
