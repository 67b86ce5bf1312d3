/**
 * Why a plan cannot run at all, before memory is looked at: each check returns the reason in
 * the words the planner prints ("tp=16 > 8 GPUs per node"), or null.
 */
import { microbatches, type ParallelPlan, type PlanSetup } from './plan.js';

export type FailureKind = 'tp-node' | 'tp-heads' | 'tp-kv-heads' | 'sp-seq' | 'pp-layers' | 'batch' | 'interleave' | 'oom';

export interface Failure {
  readonly kind: FailureKind;
  readonly message: string;
}

/** The first structural reason `plan` cannot run for `setup`, or null. */
export function structuralFailure(setup: PlanSetup, plan: ParallelPlan): Failure | null {
  const { shape: m, cluster, globalBatch: B, seq } = setup;
  const { tp, pp, dp, microBatch: b, virtual: v } = plan;
  // tensor parallelism talks after every layer: keep it inside a node's NVLink domain
  if (tp > cluster.gpusPerNode) return { kind: 'tp-node', message: `tp=${tp} > ${cluster.gpusPerNode} GPUs per node` };
  if (m.heads % tp !== 0) return { kind: 'tp-heads', message: `heads ${m.heads} not divisible by tp=${tp}` };
  if (m.kvHeads % tp !== 0) return { kind: 'tp-kv-heads', message: `kv heads ${m.kvHeads} not divisible by tp=${tp}` };
  if (plan.sequenceParallel && seq % tp !== 0) return { kind: 'sp-seq', message: `sequence ${seq} not divisible by tp=${tp} (sequence parallel)` };
  if (m.layers % (pp * v) !== 0) {
    return { kind: 'pp-layers', message: v === 1 ? `${m.layers} layers not divisible into pp=${pp} stages` : `${m.layers} layers not divisible into pp×v = ${pp}×${v} chunks` };
  }
  if (B % (dp * b) !== 0) return { kind: 'batch', message: `global batch ${B} not divisible by dp × micro-batch size = ${dp}×${b}` };
  const mbs = microbatches(setup, plan);
  if (plan.schedule === 'Interleaved1F1B' && mbs % pp !== 0) {
    return { kind: 'interleave', message: `interleaved: ${mbs} micro-batches not a multiple of pp=${pp}` };
  }
  return null;
}

/** A short title per kind, for the grouped summary. */
export const FAILURE_TITLES: Readonly<Record<FailureKind, string>> = Object.freeze({
  'tp-node': 'tensor parallelism wider than a node',
  'tp-heads': 'attention heads do not split over tp',
  'tp-kv-heads': 'kv heads do not split over tp',
  'sp-seq': 'sequence does not split over tp',
  'pp-layers': 'layers do not split into stages',
  batch: 'global batch does not split',
  interleave: 'interleaving needs micro-batches = k·pp',
  oom: 'out of memory',
});
