/**
 * Why a plan cannot run at all, before memory is looked at: each check returns the reason in
 * the words the planner prints ("tp=16 > 8 GPUs per node"), or null.
 */
import { chunkLayers, cpOf } from './layout.js';
import { microbatches, type ParallelPlan, type PlanSetup } from './plan.js';

export type FailureKind = 'gpus' | 'tp-node' | 'tp-heads' | 'tp-kv-heads' | 'sp-seq' | 'sp-tp' | 'cp-seq' | 'pp-layers' | 'batch' | 'interleave' | 'recompute' | 'oom';

export interface Failure {
  readonly kind: FailureKind;
  readonly message: string;
}

/** The first structural reason `plan` cannot run for `setup`, or null. */
export function structuralFailure(setup: PlanSetup, plan: ParallelPlan): Failure | null {
  const { shape: m, cluster, globalBatch: B, seq } = setup;
  const { tp, pp, dp, microBatch: b, virtual: v } = plan;
  const cp = cpOf(plan);
  const world = tp * cp * pp * dp;
  if (world !== cluster.gpus) return { kind: 'gpus', message: `tp×${cp > 1 ? 'cp×' : ''}pp×dp = ${tp}×${cp > 1 ? `${cp}×` : ''}${pp}×${dp} = ${world}, not the ${cluster.gpus} GPUs` };
  // tensor parallelism talks after every layer: keep it inside a node's NVLink domain
  if (tp > cluster.gpusPerNode) return { kind: 'tp-node', message: `tp=${tp} > ${cluster.gpusPerNode} GPUs per node` };
  if (m.heads % tp !== 0) return { kind: 'tp-heads', message: `heads ${m.heads} not divisible by tp=${tp}` };
  if (m.kvHeads % tp !== 0) return { kind: 'tp-kv-heads', message: `kv heads ${m.kvHeads} not divisible by tp=${tp}` };
  // Megatron cuts the sequence into 2·cp chunks (rank i takes chunks i and 2cp − 1 − i, balancing the causal mask)
  if (cp > 1 && seq % (2 * cp) !== 0) return { kind: 'cp-seq', message: `sequence ${seq} not divisible into 2·cp = ${2 * cp} chunks (context parallel)` };
  if (plan.sequenceParallel && tp === 1) return { kind: 'sp-tp', message: 'sequence parallelism needs tp > 1' };
  if (plan.sequenceParallel && (seq / cp) % tp !== 0) return { kind: 'sp-seq', message: `sequence ${cp > 1 ? `${seq}/cp = ${seq / cp}` : seq} not divisible by tp=${tp} (sequence parallel)` };
  if (plan.schedule === 'Interleaved1F1B' && (pp === 1 || v < 2)) return { kind: 'interleave', message: pp === 1 ? 'interleaving needs pp > 1' : `interleaving needs v ≥ 2 model chunks per rank, got v=${v}` };
  const layout = chunkLayers(m.layers, pp, v);
  if (typeof layout === 'string') return { kind: 'pp-layers', message: layout };
  if (B % (dp * b) !== 0) return { kind: 'batch', message: `global batch ${B} not divisible by dp × micro-batch size = ${dp}×${b}` };
  const mbs = microbatches(setup, plan);
  if (plan.schedule === 'Interleaved1F1B' && mbs % pp !== 0) {
    return { kind: 'interleave', message: `interleaved: ${mbs} micro-batches not a multiple of pp=${pp}` };
  }
  if (plan.recomputeLayers !== undefined && (plan.recompute !== 'full' || !Number.isInteger(plan.recomputeLayers) || plan.recomputeLayers < 1)) {
    return { kind: 'recompute', message: `recomputing ${plan.recomputeLayers} layers per chunk needs recompute=full and a whole number ≥ 1` };
  }
  if (plan.recompute === 'selective' && setup.options.attention === 'flash') {
    return { kind: 'recompute', message: 'selective recompute recomputes the attention core, which FlashAttention already does: use recompute=none with --attention flash, or --attention unfused' };
  }
  return null;
}

/** A short title per kind, for the grouped summary. */
export const FAILURE_TITLES: Readonly<Record<FailureKind, string>> = Object.freeze({
  gpus: 'layout does not use the cluster',
  'tp-node': 'tensor parallelism wider than a node',
  'tp-heads': 'attention heads do not split over tp',
  'tp-kv-heads': 'kv heads do not split over tp',
  'sp-seq': 'sequence does not split over tp',
  'sp-tp': 'sequence parallelism without tensor parallelism',
  'cp-seq': 'sequence does not split over cp',
  'pp-layers': 'layers do not split into stages',
  batch: 'global batch does not split',
  interleave: 'interleaving needs micro-batches = k·pp',
  recompute: 'recomputation does not apply',
  oom: 'out of memory',
});
