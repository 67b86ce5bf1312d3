/**
 * A plan as a meta-mode simulation: the mesh, schedule, micro-batches and tensor-parallel plan
 * AutoDist's simulator runs (shapes only, any size; dp and tp ranks fold by symmetry).
 *
 * The simulator runs what the plan says about layout — dp × pp × tp, the micro-batches, 1F1B or
 * interleaved with v chunks (uneven stages as explicit boundaries), Megatron tensor parallelism
 * (column/row linears, vocab-parallel embedding and LM head), sequence parallelism, the attention
 * kernel, activation recomputation (selective, full, or full on N layers per chunk), mixed-precision
 * Adam (fp32 master weights and moments; fp32 main gradients when options.gradBytes is 4) and
 * ZeRO 1/2/3 over dp, with the DP reductions and ZeRO's gathers behind compute when the setup
 * overlaps them (options.overlapGradReduce), and Megatron's TP overlap in the backward
 * (options.tpOverlap: the dX all-reduce / reduce-scatter behind the weight-gradient GEMMs, SP's
 * re-gather behind the dX GEMMs; TE's 'all' runs as 'backward') — and measures memory and time op
 * by op. No context parallelism (simulatorGap).
 */
import type { Model, ModelSpec } from '../models/model.js';
import { gpt2, type Gpt2Config } from '../models/gpt2.js';
import { llama, type LlamaConfig } from '../models/llama.js';
import type { AttentionKernel, SwigluKernel } from './plan.js';
import type { Tensor } from '../core/tensor.js';
import { reshape } from '../core/ops/index.js';
import { vocabParallelCrossEntropy } from '../parallel/vocab.js';
import type { Module } from '../models/nn/module.js';
import type { Plan, PlanStyle } from '../parallel/plan.js';
import { runSimulation, type RunOptions } from '../parallel/simulation/run.js';
import type { ParallelizeContext, SimulationSpec } from '../parallel/simulation/spec.js';
import type { Report } from '../report/types.js';
import { estimateMemory } from './memory.js';
import { estimateTime } from './time.js';
import { chunkLayers, cpOf } from './layout.js';
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

/**
 * The simulator's stages: interleaving depth, and for an uneven layout its explicit boundaries
 * over the pp·v global chunks (chunk k of rank s is global stage k·pp + s), when every chunk holds
 * a layer (the simulator cannot run an empty chunk; it then splits as evenly as it can).
 */
function stagesOf(plan: ParallelPlan, setup: PlanSetup): Pick<SimulationSpec, 'stages'> {
  const virtual = plan.schedule === 'Interleaved1F1B' ? plan.virtual : 1;
  const cl = chunkLayers(setup.shape.layers, plan.pp, virtual);
  const uneven = typeof cl !== 'string' && setup.shape.layers % (plan.pp * virtual) !== 0 && cl.every((c) => c > 0);
  const method = uneven ? cl.reduce<number[]>((b, c) => [...b, b[b.length - 1] + c], [0]) : undefined;
  if (virtual === 1 && !method) return {};
  return { stages: { ...(virtual > 1 ? { virtual } : {}), ...(method ? { method } : {}) } };
}

/** Why the simulator cannot run `plan`, or undefined (it has no context parallelism). */
export function simulatorGap(plan: ParallelPlan): string | undefined {
  return cpOf(plan) > 1 ? `the meta simulator has no context parallelism (cp=${cpOf(plan)}); only the planner's estimate is available` : undefined;
}

/** The meta-mode simulation of `plan`; see the file comment for what it leaves out. */
export function planToSpec(plan: ParallelPlan, setup: PlanSetup): SimulationSpec {
  const sp = plan.sequenceParallel && plan.tp > 1;
  return {
    name: `${setup.model.id} · tp=${plan.tp} pp=${plan.pp} dp=${plan.dp}`,
    mesh: { dp: plan.dp, pp: plan.pp, tp: plan.tp },
    mode: 'meta',
    model: withKernels(setup),
    dtype: 'bfloat16',
    input: { batch: setup.globalBatch, seq: setup.seq, microbatches: microbatches(setup, plan) },
    schedule: plan.schedule,
    ...stagesOf(plan, setup),
    plan: tensorParallelPlan(setup, plan),
    ...(sp ? { parallelize: sequenceParallelBoundaries(setup) } : {}),
    hardware: setup.cluster.hardware,
    gpusPerNode: setup.cluster.gpusPerNode,
    algorithm: 'ring',
    // Megatron's cross-entropy at any tp (vocab-parallel over a group of one at tp = 1: fp32 exp-logits kept, as the planner counts)
    ...(plan.tp === 1 ? { loss: megatronCrossEntropy } : {}),
    recompute: plan.recompute === 'full' && plan.recomputeLayers !== undefined ? { method: 'full', layers: plan.recomputeLayers } : plan.recompute,
    optimizer: { type: 'adam', mainGrads: setup.options.gradBytes === 4 ? 'float32' : 'param' },
    dataParallel: { zero: plan.zero, overlap: setup.options.overlapGradReduce },
    tensorParallel: { overlap: simulatedTpOverlap(setup) },
  };
}

/** Megatron's vocab-parallel cross-entropy of whole-vocabulary logits [B, S, V] and targets [B, S]. */
function megatronCrossEntropy(out: Tensor, batch: { readonly target: Tensor }): Promise<Tensor> {
  const v = out.shape[out.ndim - 1];
  return vocabParallelCrossEntropy(reshape(out, [-1, v]), reshape(batch.target, [-1])); // [B·S, V], [B·S]
}

/** The model spec with the setup's attention kernel (the presets build FlashAttention) and SwiGLU kernel. */
function withKernels(setup: PlanSetup): ModelSpec {
  const spec = setup.model.spec;
  const cfg = spec.config as { attention?: AttentionKernel; swiglu?: SwigluKernel };
  const swiglu = setup.options.swiglu ?? 'unfused';
  const gated = setup.shape.family !== 'gpt2';
  if (cfg.attention === setup.options.attention && (!gated || (cfg.swiglu ?? 'unfused') === swiglu)) return spec;
  return !gated
    ? gpt2({ ...(spec.config as Gpt2Config), attention: setup.options.attention })
    : llama({ ...(spec.config as LlamaConfig), attention: setup.options.attention, swiglu });
}

/** Run the plan's meta-mode simulation and return its report. */
export function simulatePlan(plan: ParallelPlan, setup: PlanSetup, opts: RunOptions = {}): Promise<Report> {
  return runSimulation(planToSpec(plan, setup), opts);
}

/**
 * The simulator's tensor-parallel overlap for the setup's: Megatron's async dX communication in the
 * backward ('backward') or none; Transformer Engine's userbuffer overlap ('all') has no simulated
 * counterpart, so it runs as 'backward'.
 */
export function simulatedTpOverlap(setup: PlanSetup): 'none' | 'backward' {
  return setup.options.tpOverlap === 'none' ? 'none' : 'backward';
}

/**
 * The plan as the simulation runs it, as the analytic planner sees it: the same plan (planToSpec
 * carries recomputation, Adam with its main gradients, ZeRO and its overlap, the attention kernel,
 * SP, the stages and Megatron's TP overlap in the backward) — the planner's own figures, except
 * that TE's userbuffer overlap ('all') is asked as 'backward' (simulatedTpOverlap).
 */
export function simulatorEquivalent(setup: PlanSetup, plan: ParallelPlan): { setup: PlanSetup; plan: ParallelPlan } {
  return { setup: { ...setup, options: { ...setup.options, tpOverlap: simulatedTpOverlap(setup) } }, plan };
}

/** The planner with every tensor-parallel collective blocking (options.tpOverlap 'none'): what the overlap is worth. */
export function tpBlocking(setup: PlanSetup, plan: ParallelPlan): { setup: PlanSetup; plan: ParallelPlan } {
  return { setup: { ...setup, options: { ...setup.options, tpOverlap: 'none' } }, plan };
}

/** Peak bytes per GPU of the simulator-equivalent plan (overlap changes no memory: the plan's own peak). */
export function simulatorEquivalentBytes(setup: PlanSetup, plan: ParallelPlan): number {
  const eq = simulatorEquivalent(setup, plan);
  return estimateMemory(eq.setup, eq.plan).peak.total;
}

/** The planner's figures for a plan beside the meta simulation's, and the ratio. */
export interface Agreement {
  readonly planner: { readonly stepUs: number; readonly peakBytes: number };
  /** The planner for what the simulator models (simulatorEquivalent: the planner's own, unless its TP overlap is TE's 'all'). */
  readonly equivalent: { readonly stepUs: number; readonly peakBytes: number };
  /** The planner with every tensor-parallel collective blocking (tpBlocking): what the overlap is worth. */
  readonly tpBlocking: { readonly stepUs: number };
  readonly simulator: { readonly stepUs: number; readonly peakBytes: number };
}

/** The planner's step time and peak memory of `plan` and of its simulator-equivalent, beside the simulation's (from its report). */
export function agreement(setup: PlanSetup, plan: ParallelPlan, report: Pick<Report, 'timeline' | 'memory'>): Agreement {
  const eq = simulatorEquivalent(setup, plan);
  const blocking = tpBlocking(setup, plan);
  return {
    planner: { stepUs: estimateTime(setup, plan).stepUs, peakBytes: estimateMemory(setup, plan).peak.total },
    equivalent: { stepUs: estimateTime(eq.setup, eq.plan).stepUs, peakBytes: simulatorEquivalentBytes(setup, plan) },
    tpBlocking: { stepUs: estimateTime(blocking.setup, blocking.plan).stepUs },
    simulator: { stepUs: report.timeline.stepTimeUs, peakBytes: Math.max(...report.memory.perRank.map((r) => r.peakBytes)) },
  };
}
