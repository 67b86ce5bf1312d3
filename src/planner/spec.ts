/**
 * A plan as a meta-mode simulation: the mesh, schedule, micro-batches and tensor-parallel plan
 * AutoDist's simulator runs (shapes only, any size; dp and tp ranks fold by symmetry).
 *
 * The simulator runs what the plan says about layout — dp × pp × tp, the micro-batches, 1F1B or
 * interleaved with v chunks, Megatron tensor parallelism (column/row linears, vocab-parallel
 * embedding and LM head) and sequence parallelism — and measures memory and time op by op. It
 * does not model optimizer states, ZeRO sharding or activation recomputation: its memory is the
 * bf16 weights, bf16 gradients and the activations a run without recomputation keeps.
 */
import type { Model } from '../models/model.js';
import type { Module } from '../models/nn/module.js';
import type { Plan, PlanStyle } from '../parallel/plan.js';
import { runSimulation, type RunOptions } from '../parallel/simulation/run.js';
import type { ParallelizeContext, SimulationSpec } from '../parallel/simulation/spec.js';
import type { Report } from '../report/types.js';
import { estimateMemory } from './memory.js';
import { microbatches, type ParallelPlan, type PlanSetup } from './plan.js';
import { SequenceGatherAfter, SequenceScatterBefore } from './sp-boundary.js';

/** The tensor-parallel plan for the model family, with sequence parallelism when asked. */
export function tensorParallelPlan(setup: PlanSetup, plan: ParallelPlan): Plan {
  if (plan.tp === 1) return {};
  const sp = plan.sequenceParallel;
  const col: PlanStyle = sp ? { style: 'colwise', sequenceParallel: true } : 'colwise';
  const row: PlanStyle = sp ? { style: 'rowwise', sequenceParallel: true } : 'rowwise';
  const vocabSplits = setup.shape.vocab % plan.tp === 0;
  if (setup.shape.family === 'gpt2') {
    return {
      'h.*.attn.c_attn': col, // [H, 3H] → [H, 3H/tp] (q|k|v split per block)
      'h.*.attn.c_proj': row, // [H, H] → [H/tp, H]
      'h.*.mlp.c_fc': col, // [H, F] → [H, F/tp]
      'h.*.mlp.c_proj': row, // [F, H] → [F/tp, H]
      ...(vocabSplits ? { wte: 'vocab' as const, lm_head: 'colwise' as const } : {}), // [V, H] → [V/tp, H]; logits [B, S, V/tp]
    };
  }
  const L = 'model.layers.*';
  return {
    [`${L}.self_attn.q_proj`]: col, // [H, hq] → [H, hq/tp]
    [`${L}.self_attn.k_proj`]: col, // [H, hkv] → [H, hkv/tp]
    [`${L}.self_attn.v_proj`]: col,
    [`${L}.self_attn.o_proj`]: row, // [hq, H] → [hq/tp, H]
    [`${L}.mlp.gate_proj`]: col, // [H, F] → [H, F/tp]
    [`${L}.mlp.up_proj`]: col,
    [`${L}.mlp.down_proj`]: row, // [F, H] → [F/tp, H]
    ...(vocabSplits ? { 'model.embed_tokens': 'vocab' as const, lm_head: 'colwise' as const } : {}),
  };
}

/** With SP: cut the sequence before the first block, gather it after the final norm (./sp-boundary.ts). */
function sequenceParallelBoundaries(setup: PlanSetup): (model: Model, p: ParallelizeContext) => void {
  return (model) => {
    const m = model as unknown as Record<string, unknown>;
    if (setup.shape.family === 'gpt2') {
      const g = m as { h: Module[]; ln_f: Module };
      g.h[0] = new SequenceScatterBefore(g.h[0]);
      g.ln_f = new SequenceGatherAfter(g.ln_f);
    } else {
      const l = (m as { model: { layers: Module[]; norm: Module } }).model;
      l.layers[0] = new SequenceScatterBefore(l.layers[0]);
      l.norm = new SequenceGatherAfter(l.norm);
    }
  };
}

/** The meta-mode simulation of `plan`; see the file comment for what it leaves out. */
export function planToSpec(plan: ParallelPlan, setup: PlanSetup): SimulationSpec {
  const sp = plan.sequenceParallel && plan.tp > 1;
  return {
    name: `${setup.model.id} · tp=${plan.tp} pp=${plan.pp} dp=${plan.dp}`,
    mesh: { dp: plan.dp, pp: plan.pp, tp: plan.tp },
    mode: 'meta',
    model: setup.model.spec,
    dtype: 'bfloat16',
    input: { batch: setup.globalBatch, seq: setup.seq, microbatches: microbatches(setup, plan) },
    schedule: plan.schedule,
    ...(plan.schedule === 'Interleaved1F1B' ? { stages: { virtual: plan.virtual } } : {}),
    plan: tensorParallelPlan(setup, plan),
    ...(sp ? { parallelize: sequenceParallelBoundaries(setup) } : {}),
    hardware: setup.cluster.hardware,
    gpusPerNode: setup.cluster.gpusPerNode,
    algorithm: 'ring',
  };
}

/** Run the plan's meta-mode simulation and return its report. */
export function simulatePlan(plan: ParallelPlan, setup: PlanSetup, opts: RunOptions = {}): Promise<Report> {
  return runSimulation(planToSpec(plan, setup), opts);
}

/**
 * What the simulation of `plan` models, as the analytic planner sees it: unfused attention, no
 * recomputation, no ZeRO, bf16 gradients and logits, no optimizer states.
 */
export function simulatorEquivalent(setup: PlanSetup, plan: ParallelPlan): { setup: PlanSetup; plan: ParallelPlan } {
  return {
    setup: { ...setup, options: { ...setup.options, attention: 'unfused', gradBytes: 2, logitsBytes: 2, tpOverlap: 'none' } },
    plan: { ...plan, recompute: 'none', zero: 0 },
  };
}

/** Peak bytes per GPU of the simulator-equivalent plan: weights + gradients + activations, the fullest stage. */
export function simulatorEquivalentBytes(setup: PlanSetup, plan: ParallelPlan): number {
  const eq = simulatorEquivalent(setup, plan);
  const mem = estimateMemory(eq.setup, eq.plan);
  return Math.max(...mem.stages.map((s) => s.weights + s.gradients + s.activations));
}
