/**
 * Time of FlashAttention's fused attention core (torch `scaled_dot_product_attention` with the
 * flash backend) on one GPU — one kernel for softmax(QKᵀ/√d)·V, never writing the scores:
 *
 *   full FLOPs   forward 4·B·sq·skv·d (QKᵀ and P·V), backward 2.5 × that (QKᵀ recomputed, dV, dP,
 *                dQ, dK: five products of the same size, FlashAttention-2 §3.2)
 *   causal       only the key blocks at or below the diagonal run: with 128-wide blocks a fraction
 *                ½ + 64/skv of the products (the diagonal blocks whole)
 *   time         launch + FLOPs run / (peak · η) + B · sq · t_row
 *
 * B = batch × heads. η and the per-query-row cost t_row (loading Q, the online-softmax rescales,
 * writing O and the log-sum-exp) are the kernel's own (HardwarePreset.attention, per pass): on the
 * H100/H200 fitted by least squares to torch 2.11's SDPA (flash backend) measured on an H200,
 * test/fixtures/h200-sdpa.json — forward η 0.70, t_row 1.13 ns; backward η 0.66, t_row 2.43 ns;
 * RMS error 13 % over sequences 2k–16k, causal and not. On the A100 η 0.6 (FlashAttention-2
 * reports 50–73 % of peak there) with the same t_row: an assumption. docs/gemm-efficiency.md.
 * The planner times the attention core with this (src/planner/gemms.ts), and so does the
 * simulator's FlashAttention op (src/core/ops/attention.ts), so the two agree.
 */
import { KERNEL_LAUNCH_US } from './computeTime.js';
import type { HardwarePreset } from './hardware.js';

export interface AttentionShape {
  /** batch × heads */
  readonly batch: number;
  /** Query positions. */
  readonly sq: number;
  /** Key positions. */
  readonly skv: number;
  /** Head dim. */
  readonly d: number;
  readonly causal: boolean;
}

/** The fraction of the score blocks a causal kernel computes (128-wide blocks, the diagonal whole). */
export function causalFraction(skv: number): number {
  return Math.min(1, 0.5 + 64 / skv);
}

/** FlashAttention's efficiency and per-query-row cost for one pass. */
export interface AttentionKernelCost {
  /** η: fraction of the bf16 peak its products run at. */
  readonly efficiency: number;
  /** Fixed cost per query row and head, ns. */
  readonly rowNs: number;
}

/** Time of the fused attention core, µs, forward or backward (bf16). */
export function flashAttentionTimeUs(a: AttentionShape, pass: 'forward' | 'backward', hw: HardwarePreset): number {
  const full = 4 * a.batch * a.sq * a.skv * a.d * (pass === 'backward' ? 2.5 : 1);
  const flops = a.causal ? full * causalFraction(a.skv) : full;
  if (flops === 0) return 0;
  const k = hw.attention?.[pass] ?? { efficiency: hw.computeEfficiency, rowNs: 0 };
  return (hw.kernelLaunchUs ?? KERNEL_LAUNCH_US) + (flops / (hw.peakFlops.bf16 * k.efficiency)) * 1e6 + (a.batch * a.sq * k.rowNs) / 1e3;
}
