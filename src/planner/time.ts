/**
 * Step time of a plan, µs, and what it buys (tokens/s, MFU).
 *
 * Per micro-batch on the GPUs of pipeline stage s (l/p layers, in v chunks), T_s =
 *   matmuls      Σ over the layer's GEMMs of the cost model's gemmTimeUs (shape-aware roofline: tile and
 *                wave quantization; ./gemms.ts, docs/gemm-efficiency.md), recomputation included
 *   kernels      HBM bytes ÷ (HBM bandwidth · memoryEfficiency)  bytes: ./elementwise.ts
 *   LM head      on the last stage: its GEMM forward and backward ([bs, h]·[h, V/t]) and the
 *                cross-entropy's bytes; the token embedding's backward on the first
 *   TP comm      the layer's collectives (./comm.ts); those Megatron overlaps with a GEMM cost
 *                max(0, t_comm − t_GEMM) (options.tpOverlap: 'backward' by default — the async dX
 *                reductions; 'all' with Transformer Engine's userbuffers; 'none')
 *   PP p2p       2v messages (an activation forward, a gradient backward per chunk), Megatron's
 *                scatter/gather (Narayanan et al. 2021 §4.1): bsh/t per rank over the stage link,
 *                then (without SP) an all-gather of bsh inside the tp group
 *   ZeRO-2/3     per micro-batch: ZeRO-2 reduce-scatters the weight gradients (they are sharded,
 *                so not held to the step), ZeRO-3 all-gathers the weights twice (forward,
 *                backward) and reduce-scatters the gradients; hidden behind the compute (ZeRO-2:
 *                the backward's) when overlapped, else added. The reduce-scatter runs in the main
 *                gradients' dtype: with fp32 main gradients the 16-bit gradients are cast into an
 *                fp32 buffer first (FSDP's reduce_dtype float32: torchtitan's default, Meta's
 *                Llama 3 §3.3.2), 6 bytes per parameter of kernels; from the second micro-batch
 *                on, the reduced shard is added into the main-gradient shard by a kernel of its
 *                own (3g bytes per element; counted with the kernels)
 * Layout (./layout.ts): the stage's own layer count (uneven stages: the first and last one short);
 * partial recompute mixes the per-layer costs with and without recomputation by the recomputed
 * fraction; context parallelism over cp ranks runs s/cp tokens per rank (GEMMs, kernels, TP and
 * p2p bytes ÷cp), its queries against all s keys, and adds the ring's K/V exchange (./comm.ts)
 * left after overlap with the attention core.
 * Pipeline (Narayanan et al. 2021 §2.2): m micro-batches at the pace of the slowest stage plus
 * the fill and drain, (p − 1)/v micro-batch times — bubble fraction (p − 1)/(v·m):
 *   step = m · max_s T_s + (p − 1)/v · mean_s T_s + DP exposed + optimizer
 * DP exposed: the stage's gradient reduction over the dp × cp ranks (./comm.ts) after its last
 * backward; overlapped, it
 * hides behind that micro-batch's backward (Megatron overlap_grad_reduce) and the weight
 * all-gather behind the next forward (overlap_param_gather): max(0, t_reduce − t_bwd) +
 * max(0, t_gather − t_fwd). Not overlapped, all of it.
 * Optimizer: Adam reads and writes the fp32 master weights and moments it owns (Ψ, or Ψ/(dp·cp)
 * with ZeRO ≥ 1): read g + 12, write 12, write the 2-byte weights → (g + 26) bytes per parameter.
 *
 * tokens/s = B·s / step;  MFU = model FLOPs / (step · GPUs · peak);  HFU counts recomputation;
 * 6ND cross-check: 6 · parameters · B·s / (step · GPUs · peak).
 */
import { microbatches, type ParallelPlan, type PlanSetup } from './plan.js';
import type { CollectiveOp } from '../core/cost/index.js';
import { cpLink, p2pUs, ppLink, ringTimeUs, stridedRingTimeUs, tpExposedUs, tpLayerCollectives, tpRanks, type GemmRef } from './comm.js';
import { cpOf, recomputedFraction, stageLayerCount } from './layout.js';
import { kvWidth } from './shape.js';
import { crossEntropyBytes, embeddingGradBytes, layerElementwiseBytes } from './elementwise.js';
import { hardwareFlops, modelFlops, sixND } from './flops.js';
import { headGemmUs, layerGemmUs, layerLinearUs, type LinearUs } from './gemms.js';
import { stageParams } from './memory.js';

export interface StageTime {
  readonly stage: number;
  /** Layers this pipeline rank holds (./layout.ts: one less on the first and last stage when uneven). */
  readonly layers: number;
  /** Matmul time per micro-batch. */
  readonly computeUs: number;
  /** Memory-bound kernels per micro-batch. */
  readonly kernelsUs: number;
  readonly tpCommUs: number;
  /** Context parallelism's K/V ring exchange left after overlap with the attention core. */
  readonly cpCommUs: number;
  readonly p2pUs: number;
  /** ZeRO-2/3's per-micro-batch collectives left after overlap. */
  readonly zero3Us: number;
  /** T_s: all of the above, one micro-batch through this stage, forward and backward. */
  readonly perMicrobatchUs: number;
  /** Of T_s: the forward part (the rest is backward). */
  readonly forwardUs: number;
  /** Data-parallel gradient reduction of this stage at the step (all-reduce; ZeRO-1: reduce-scatter), before overlap. */
  readonly dpReduceUs: number;
  /** ZeRO-1/2's all-gather of the updated weights, before overlap. */
  readonly dpGatherUs: number;
  readonly optimizerUs: number;
}

export interface TimeEstimate {
  readonly stepUs: number;
  /** m · max T_s, split by kind on the slowest stage. */
  readonly computeUs: number;
  readonly kernelsUs: number;
  readonly tpCommUs: number;
  readonly cpCommUs: number;
  readonly p2pUs: number;
  readonly zero3Us: number;
  /** (p − 1)/v · mean T_s */
  readonly bubbleUs: number;
  /** Data-parallel reduction left after overlap. */
  readonly dpExposedUs: number;
  readonly dpTotalUs: number;
  readonly optimizerUs: number;
  /** Bubble over the busy time: (p − 1)/(v·m) for uniform stages. */
  readonly bubbleFraction: number;
  readonly tokensPerSecond: number;
  readonly modelFlops: number;
  readonly hardwareFlops: number;
  readonly mfu: number;
  readonly hfu: number;
  /** 6·N·D / (step · GPUs · peak). */
  readonly mfu6ND: number;
  /** The first stage, one middle stage (they are alike) and the last. */
  readonly stages: readonly StageTime[];
}

const US = 1e6;

/** T_s and the per-step terms of one stage; see the file comment. */
export function stageTime(setup: PlanSetup, plan: ParallelPlan, stage: number): StageTime {
  const { shape: m, seq: s, cluster, options } = setup;
  const hw = cluster.hardware;
  const t = plan.tp;
  const c = cpOf(plan);
  const b = plan.microBatch;
  const hbm = hw.hbmBandwidth * hw.memoryEfficiency;
  const layers = stageLayerCount(m.layers, plan, stage);
  const first = stage === 0;
  const last = stage === plan.pp - 1;
  // with recompute 'full' on only some layers of each chunk (partial): a fraction f of the layers
  // pays the recomputation, the rest none; per-layer costs below mix the two
  const f = recomputedFraction(m.layers, plan, stage);
  const mix = (none: number, full: number) => (plan.recompute === 'full' ? f * full + (1 - f) * none : full);
  const asNone = { ...plan, recompute: 'none' as const };

  // matmuls: each GEMM timed by its shape (tile and wave quantization: src/core/cost/gemm.ts)
  const layerUs = layerGemmUs(m, b, s, t, plan.recompute, options.attention, hw, c);
  const layerNoneUs = layerGemmUs(m, b, s, t, 'none', options.attention, hw, c);
  const headUs = last ? headGemmUs(m, b, s, t, hw, c) : { forward: 0, backward: 0 };
  const computeUs = layers * (layerUs.forward + mix(layerNoneUs.backward, layerUs.backward)) + headUs.forward + headUs.backward;
  const computeFwdUs = layers * layerUs.forward + headUs.forward;

  // memory-bound kernels
  const ewIn = { seq: s, microBatch: b, tp: t, sequenceParallel: plan.sequenceParallel, attention: options.attention, cp: c, swiglu: options.swiglu };
  const ew = layerElementwiseBytes(m, ewIn, plan.recompute);
  const ewNone = layerElementwiseBytes(m, ewIn, 'none');
  const ceBytes = last ? crossEntropyBytes(m, s, b, t, options.logitsBytes, c) : 0;
  const embBytes = first ? embeddingGradBytes(m, t, options.gradBytes) : 0;
  const kernelsUs = ((layers * (ew.forward + mix(ewNone.backward, ew.backward)) + ceBytes + embBytes) / hbm) * US;
  const kernelsFwdUs = ((layers * ew.forward + ceBytes / 2) / hbm) * US;

  // tensor parallel: each collective exposed, or hidden behind the GEMM Megatron overlaps it with (./comm.ts)
  const bshBytes = (2 * b * s * m.hidden) / c;
  let tpCommUs = 0;
  let tpFwdUs = 0;
  if (t > 1) {
    const ranks = tpRanks(plan);
    const time = (op: CollectiveOp) => ringTimeUs(op, ranks, bshBytes, hw, cluster.gpusPerNode);
    const lin = layerLinearUs(m, b, s, t, hw, c);
    const gemm = (ref: GemmRef) => {
      const [name, pass] = ref.split('.') as [keyof typeof lin, keyof LinearUs];
      return lin[name][pass];
    };
    const overlap = options.tpOverlap === 'all' && !plan.sequenceParallel ? 'backward' : options.tpOverlap;
    const coll = tpLayerCollectives(plan, bshBytes);
    const fwd = tpExposedUs(coll.forward, overlap, time, gemm);
    const bwd = mix(tpExposedUs(tpLayerCollectives(asNone, bshBytes).backward, overlap, time, gemm), tpExposedUs(coll.backward, overlap, time, gemm));
    const edge = (first ? 1 : 0) + (last ? 1 : 0); // embedding output (fwd), head input gradient (bwd)
    const edgeOp = plan.sequenceParallel ? 'reduce_scatter' : 'all_reduce';
    tpFwdUs = layers * fwd + (first ? time(edgeOp) : 0);
    tpCommUs = layers * (fwd + bwd) + edge * time(edgeOp);
  }

  // context parallel: the ring's K/V exchange, hidden behind the attention core's blocks (./comm.ts)
  let cpCommUs = 0;
  let cpFwdUs = 0;
  if (c > 1) {
    const kvChunk = 2 * 2 * b * (s / c) * (kvWidth(m) / t); // K and V of s/cp tokens, bf16
    const step = p2pUs(kvChunk, hw, cpLink(plan, cluster.gpusPerNode));
    cpFwdUs = layers * Math.max(0, (c - 1) * step - layerUs.coreForward);
    const bwd = Math.max(0, 2 * (c - 1) * step - layerUs.coreBackward) + mix(0, Math.max(0, (c - 1) * step - layerUs.coreForward));
    cpCommUs = cpFwdUs + layers * bwd;
  }

  // pipeline p2p, Megatron's scatter/gather (Narayanan et al. 2021 §4.1): each tp rank sends its
  // 1/t of the boundary activation; without SP the receiver all-gathers it over the tp group (NVLink)
  const sendUs = p2pUs(bshBytes / t, hw, ppLink(plan, cluster.gpusPerNode));
  const gatherUs = !plan.sequenceParallel && t > 1 ? ringTimeUs('all_gather', tpRanks(plan), bshBytes, hw, cluster.gpusPerNode) : 0;
  const msgUs = plan.pp > 1 ? sendUs + gatherUs : 0;
  const pipeUs = 2 * plan.virtual * msgUs;

  // data parallel: gradients reduced over the dp × cp ranks
  const params = stageParams(m, plan, stage);
  const dpN = plan.dp * c; // the dp × cp group of rank 0: 0, t, 2t, … (./comm.ts dpRanks)
  const g = options.gradBytes;
  let dpReduceUs = 0;
  let dpGatherUs = 0;
  let zero3Us = 0;
  let shardAccumUs = 0;
  if (dpN > 1) {
    const ring = (op: CollectiveOp, bytes: number) => stridedRingTimeUs(op, dpN, t, bytes, hw, cluster.gpusPerNode);
    if (plan.zero === 0) dpReduceUs = ring('all_reduce', g * params);
    else if (plan.zero === 1) {
      dpReduceUs = ring('reduce_scatter', g * params);
      dpGatherUs = ring('all_gather', 2 * params);
    } else {
      // sharded gradients (ZeRO-2/3): each micro-batch's weight gradients reduce-scattered in its
      // backward in the main gradients' dtype (fp32: FSDP's reduce_dtype float32, after a cast of
      // the 16-bit gradients into its buffer: read 2, write 4 bytes per parameter), then added into
      // the g-byte main-gradient shard by a kernel of its own from the second micro-batch on (read
      // 2g, write g bytes per element; no GEMM epilogue can fuse it)
      const mbs = microbatches(setup, plan);
      shardAccumUs = ((((g === 4 ? 6 : 0) * params + ((mbs - 1) / mbs) * (params / dpN) * 3 * g) / hbm) * US);
    }
    if (plan.zero === 2) {
      const perMb = ring('reduce_scatter', g * params);
      const busyBwd = computeUs - computeFwdUs + kernelsUs - kernelsFwdUs;
      zero3Us = options.overlapGradReduce ? Math.max(0, perMb - busyBwd) : perMb;
      dpGatherUs = ring('all_gather', 2 * params);
    } else if (plan.zero === 3) {
      const perMb = 2 * ring('all_gather', 2 * params) + ring('reduce_scatter', g * params);
      const busy = computeUs + kernelsUs;
      zero3Us = options.overlapGradReduce ? Math.max(0, perMb - busy) : perMb;
    }
  }
  const owned = plan.zero >= 1 ? params / dpN : params;
  const optimizerUs = ((owned * (g + 26)) / hbm) * US;
  const perMicrobatchUs = computeUs + kernelsUs + shardAccumUs + tpCommUs + cpCommUs + pipeUs + zero3Us;
  const forwardUs = computeFwdUs + kernelsFwdUs + tpFwdUs + cpFwdUs + pipeUs / 2;
  return { stage, layers, computeUs, kernelsUs: kernelsUs + shardAccumUs, tpCommUs, cpCommUs, p2pUs: pipeUs, zero3Us, perMicrobatchUs, forwardUs, dpReduceUs, dpGatherUs, optimizerUs };
}

/** Step time, throughput and utilisation of a plan; see the file comment. */
export function estimateTime(setup: PlanSetup, plan: ParallelPlan): TimeEstimate {
  const mb = microbatches(setup, plan);
  // stages 1 … p−2 are alike: time the first, one middle and the last, weight the middle p − 2 times
  const p = plan.pp;
  const ids = p === 1 ? [0] : p === 2 ? [0, 1] : [0, 1, p - 1];
  const weight = (id: number) => (p > 2 && id === 1 ? p - 2 : 1);
  const stages = ids.map((id) => stageTime(setup, plan, id));
  const slow = stages.reduce((a, x) => (x.perMicrobatchUs > a.perMicrobatchUs ? x : a), stages[0]);
  const mean = stages.reduce((a, x) => a + weight(x.stage) * x.perMicrobatchUs, 0) / p;
  const bubbleUs = ((plan.pp - 1) / plan.virtual) * mean;
  let dpExposedUs = 0;
  for (const st of stages) {
    const bwd = st.perMicrobatchUs - st.forwardUs;
    const exposed = setup.options.overlapGradReduce ? Math.max(0, st.dpReduceUs - bwd) + Math.max(0, st.dpGatherUs - st.forwardUs) : st.dpReduceUs + st.dpGatherUs;
    dpExposedUs = Math.max(dpExposedUs, exposed);
  }
  const dpTotalUs = Math.max(...stages.map((x) => x.dpReduceUs + x.dpGatherUs));
  const optimizerUs = Math.max(...stages.map((x) => x.optimizerUs));
  const stepUs = mb * slow.perMicrobatchUs + bubbleUs + dpExposedUs + optimizerUs;

  const { shape, globalBatch: B, seq: s, cluster, options } = setup;
  const tokens = B * s;
  const peakAll = cluster.gpus * cluster.hardware.peakFlops.bf16;
  const stepS = stepUs / US;
  const mf = modelFlops(shape, B, s);
  let redone = 0; // layers recomputed over the pipeline: the first, the last, and p − 2 alike middle stages
  for (const st of ids) redone += weight(st) * recomputedFraction(shape.layers, plan, st) * stageLayerCount(shape.layers, plan, st);
  const hf = hardwareFlops(shape, B, s, plan.recompute, options.attention, redone / shape.layers);
  return {
    stepUs,
    computeUs: mb * slow.computeUs,
    kernelsUs: mb * slow.kernelsUs,
    tpCommUs: mb * slow.tpCommUs,
    cpCommUs: mb * slow.cpCommUs,
    p2pUs: mb * slow.p2pUs,
    zero3Us: mb * slow.zero3Us,
    bubbleUs,
    dpExposedUs,
    dpTotalUs,
    optimizerUs,
    bubbleFraction: bubbleUs / (mb * slow.perMicrobatchUs),
    tokensPerSecond: tokens / stepS,
    modelFlops: mf,
    hardwareFlops: hf,
    mfu: mf / (stepS * peakAll),
    hfu: hf / (stepS * peakAll),
    mfu6ND: sixND(shape.totalParams, tokens) / (stepS * peakAll),
    stages,
  };
}
