import type * as tf from '@tensorflow/tfjs-core';
import type { RankContext } from '../../core/context.js';
import { SimError } from '../../core/errors.js';
import type { SimEvent, StreamLimits } from '../../core/events.js';
import { Mesh } from '../../core/mesh.js';
import { narrow } from '../../core/ops/index.js';
import { isFloat } from '../../core/dtype.js';
import { replayGradients, tapeGradients } from '../../core/replay.js';
import { simulate } from '../../core/simulate.js';
import type { SourceLocation } from '../../core/source.js';
import type { Tensor } from '../../core/tensor.js';
import { addModuleHook, assignPaths, buildQuietly, Module } from '../../models/nn/module.js';
import { Params, WeightStore } from '../../models/weights.js';
import type { Report, VerificationInfo } from '../../report/types.js';
import { axisInfo } from '../axis.js';
import { applyPlan } from '../plan.js';
import { weightHandles } from '../shard-weights.js';
import { RankCapture } from '../verify/capture.js';
import { tolerancesFor } from '../verify/compare.js';
import type { ParamRecord, ReferenceRecord } from '../verify/records.js';
import { verify, type TensorSink } from '../verify/verify.js';
import { batchFor, lossOf } from './inputs.js';
import { runProgram } from './run-program.js';
import { computeLoss } from './loss.js';
import { declareWeights } from './declare.js';
import { syncGradients } from '../data/grad-sync.js';
import { isStreamWait, onStream } from '../../core/trace.js';
import { Adam, adamOptions } from '../data/adam.js';
import { shardLayers } from '../data/zero3.js';
import { applyRecompute } from '../recompute.js';
import { ConfigError } from '../../core/errors.js';

import type { SimResult } from '../../core/simulate.js';
import type { Model, ModelSpec, Sequential } from '../../models/model.js';
import type { PipelineInfo, StageInfo } from '../../report/types.js';
import { partition, type StageRange } from '../pipeline/partition.js';
import { runPipeline, stageLayers } from '../pipeline/runtime.js';
import { idealBubble, scheduleFn } from '../pipeline/schedule.js';
import { buildReport, type ModuleShape, type ShardRecordRow } from './report-build.js';
import { checkSpec, type SimulationSpec } from './spec.js';
import { maxOf } from '../../report/format.js';

export type RunEvent = SimEvent | { readonly type: 'progress'; readonly stage: 'reference' | 'sharded' | 'verify' | 'done'; readonly percent: number; readonly message: string };

export interface RunOptions {
  readonly onEvent?: (e: RunEvent) => void;
  /** The most ledger entries and trace events `onEvent` hears one by one; tallies past them (see simulate). */
  readonly streamLimits?: StreamLimits;
  readonly signal?: AbortSignal;
  /** Wall-time limit of the whole run (ms from the call): the run stops at the rank and line that was running (see simulate). */
  readonly timeLimit?: { readonly ms: number; readonly fix?: string; readonly seconds?: number };
  /** The line of the script that holds a string (plan keys), for reports. */
  readonly locate?: (needle: string) => SourceLocation | undefined;
  /** Load weights into the store once the model has declared them (the runner reads safetensors). */
  readonly loadWeights?: (store: WeightStore) => void;
  readonly backend?: string;
  readonly script?: string;
  /** Overrides from the command line / settings. */
  readonly overrides?: Partial<Pick<SimulationSpec, 'mesh' | 'mode' | 'hardware' | 'algorithm' | 'gpusPerNode'>>;
  /** Receives the tensors the verifier compares, by name, and the input and labels (`--dump`; numeric mode). */
  readonly dump?: TensorSink;
  /**
   * Rank r's own program, parallelize and loss — from its own evaluation of the script, so that
   * module-level state is per rank, as in separate processes (the runner's rank-modules.ts).
   * Undefined, or undefined for a rank: the spec's own (the reference always uses the spec's).
   */
  readonly rankFunctions?: (rank: number) => Pick<SimulationSpec, 'program' | 'parallelize' | 'loss'> | undefined;
}

/**
 * The axes a run folds by symmetry (meta mode): the spec's choice, else dp/tp at any size when the
 * ranks are symmetric by construction (built-in layers and a plan), else above 64 ranks ("auto") —
 * the person's own per-rank code (parallelize, program) runs on every rank below 65, so that
 * rank-asymmetric bugs show.
 */
function foldOf(spec: SimulationSpec, mode: string, mesh: Mesh, symmetric: boolean): readonly string[] | 'auto' {
  if (mode !== 'meta' || spec.fold === false) return [];
  return spec.fold ?? (symmetric ? ['dp', 'tp'].filter((a) => mesh.has(a)) : 'auto');
}

/**
 * Run a simulation spec end to end: the unsharded reference (numeric mode), the sharded run on
 * every rank of the mesh, the comparison, and the report. A failing run still returns everything
 * recorded up to the failure.
 */
export async function runSimulation(specIn: SimulationSpec, opts: RunOptions = {}): Promise<Report> {
  const t0 = performance.now();
  const spec: SimulationSpec = { ...specIn, ...stripUndefined(opts.overrides ?? {}) };
  checkSpec(spec);
  const mesh = new Mesh(spec.mesh);
  const mode = spec.mode ?? 'numeric';
  const seed = spec.seed ?? 0;
  const progress = (stage: 'reference' | 'sharded' | 'verify' | 'done', percent: number, message: string) => opts.onEvent?.({ type: 'progress', stage, percent, message });
  const until = t0 + (opts.timeLimit?.ms ?? Infinity);
  const timeLimit = () => (opts.timeLimit ? { ms: Math.max(0, until - performance.now()), fix: opts.timeLimit.fix, seconds: opts.timeLimit.seconds ?? opts.timeLimit.ms / 1000 } : undefined);
  const simBase = { hardware: spec.hardware, gpusPerNode: spec.gpusPerNode, algorithm: spec.algorithm, seed, tpOverlap: spec.tensorParallel?.overlap };

  if (!spec.model) return runProgram(spec, mesh, mode, opts, { t0, simBase, progress, timeLimit });

  const model = spec.model;
  const input = spec.input!;
  const store = new WeightStore({ mode, seed, dtype: spec.dtype });
  const vocab = (model.config as { vocab?: number; vocabSize?: number }).vocab ?? (model.config as { vocabSize?: number }).vocabSize;
  try {
    // Declare every parameter (shapes only), then let the runner load real weights.
    await declareWeights(model, store);
    opts.loadWeights?.(store);

    const wantVerify = spec.verify !== false && mode === 'numeric';
    const tol = tolerancesFor(spec.dtype ?? 'float32', typeof spec.verify === 'object' ? spec.verify : undefined);

    // ---- the unsharded reference
    let ref: ReferenceRecord | null = null;
    let refError: SimError | undefined;
    if (wantVerify) {
      progress('reference', 0, 'running the unsharded model');
      const r = await simulate({ ...simBase, mesh: {}, mode: 'numeric', traceCompute: false, sources: 'none', signal: opts.signal, timeLimit: timeLimit() }, async (ctx) => {
        ref = await referenceRun(ctx, spec, store, vocab, opts.dump);
      });
      if (!r.ok) refError = r.errors[0];
    }

    // ---- the sharded run
    progress('sharded', 0, `simulating ${mesh.describe()}`);
    const captures: (RankCapture | null)[] = new Array(mesh.worldSize).fill(null);
    const params: Map<string, ParamRecord>[] = Array.from({ length: mesh.worldSize }, () => new Map());
    const losses: (number | null)[] = new Array(mesh.worldSize).fill(null);
    const shards: ShardRecordRow[] = [];
    const modules: ModuleShape[] = [];
    let done = 0;
    const pipelined = mesh.size('pp') > 1 || (input.microbatches ?? 1) > 1 || spec.schedule !== undefined;
    const peakStash: number[] = new Array(mesh.worldSize).fill(0);
    let replayed = 0;
    let stageInfo: StageInfo[] | undefined;
    const fold = foldOf(spec, mode, mesh, !spec.parallelize && !spec.program); // only built-in layers and a plan: symmetric
    const res = await simulate({ ...simBase, mesh, mode, fold, onEvent: opts.onEvent, streamLimits: opts.streamLimits, signal: opts.signal, timeLimit: timeLimit() }, async (ctx) => {
      const own = opts.rankFunctions?.(ctx.rank) ?? spec; // this rank's parallelize and loss
      const m = buildQuietly(() => model.build(new Params(ctx, store))); // dense, then rewritten
      assignPaths(m);
      const fusedDense = new Map<string, number>();
      for (const [path, mod] of m.namedModules()) {
        const f = (mod as { fused?: number }).fused;
        if (f && f > 1) fusedDense.set(path, f);
      }
      if (spec.plan) applyPlan(ctx, store, m, spec.plan, { locate: opts.locate });
      if (own.parallelize) {
        await own.parallelize(m, {
          rank: ctx.rank,
          tp: axisInfo(ctx, 'tp'),
          dp: axisInfo(ctx, 'dp'),
          pp: axisInfo(ctx, 'pp'),
          mesh: ctx.mesh,
          comm: ctx.comm,
          ctx,
          weights: weightHandles(ctx, store, m),
        });
      }
      assignPaths(m);
      checkWholeHeads(m, ctx.axisSize('tp'));
      const dp = axisInfo(ctx, 'dp');
      const pp = axisInfo(ctx, 'pp');
      const pipe = pipelined ? atLine(() => pipelineOf(model, m, pp.size, spec), ctx.rank, opts.locate?.('pp')) : null;
      const named: [string, Tensor][] = pipe ? rankParams(pipe, pp.index, pp.size) : m.namedParameters().map(([n, t]) => [t.global?.name ?? n, t]);
      // ZeRO-2/3: the layers' gradients (and with 3 their weights) live as dp shards, the rest whole
      const zero = spec.dataParallel?.zero ?? 0;
      // (a numeric ZeRO-2 run reduces at the step as ZeRO-1, so the verifier sees whole gradients)
      const zl = zero >= 2 && dp.size > 1 && ctx.mode === 'meta' ? shardLayers(ctx, m, [...model.layerPaths(), ...edgeUnits(m, model.layerPaths(), named)], new Set(named.map(([, t]) => t)), { weights: zero === 3, overlap: spec.dataParallel?.overlap, reduceDType: spec.optimizer && adamOptions(spec.optimizer).mainGrads !== 'param' ? 'float32' : undefined }) : null;
      const outside = zl ? named.filter(([, p]) => !zl.full.has(p)) : named;
      const stepped: [string, Tensor][] = zl ? [...outside, ...zl.shards] : named; // what the optimizer updates
      applyRecompute(m, spec.recompute, model.layerPaths(), pipe?.stages);
      if (pipe && ctx.rank === 0) stageInfo = describeStages(pipe, mesh);
      ctx.memory.reset((zero === 3 ? stepped : named).map(([, p]) => p.memIndex)); // ZeRO-2's shards hold no weights
      const optimizer = spec.optimizer ? makeOptimizer(ctx, stepped, spec, dp.size, zl?.shards) : undefined;
      const mine = new Set(named.map(([, t]) => t));
      shards.push(...shardRows(ctx.rank, m).filter((r) => mine.has(r.tensor)));
      recordModuleShapes(ctx, modules);
      if (wantVerify) captures[ctx.rank] = new RankCapture(ctx);

      const batch = batchFor(ctx, model, { batch: input.batch, seq: input.seq }, seed, input.data, input.labels);
      const rows = input.batch / dp.size;
      const x = sliceRows(batch.input, dp.index * rows, rows, dp.size);
      const target = sliceRows(batch.target, dp.index * rows, rows, dp.size);
      if (isFloat(x.dtype)) x.requiresGrad = true; // dX is computed, as for any activation
      if (pipe) {
        ctx.pipelineRuntime = true;
        const r = await runPipeline(ctx, {
          seq: pipe.seq,
          stages: pipe.stages,
          schedule: scheduleFn(spec.schedule),
          microbatches: pipe.microbatches,
          virtual: pipe.virtual,
          input: x,
          target,
          loss: (o, t) => lossOf(own.loss, o, { input: x, target: t }, () => computeLoss(o, t, model.loss, vocab), opts.locate?.('loss')),
          replay: spec.replayMicrobatches,
        });
        if (r.losses.length) losses[ctx.rank] = r.losses.reduce((a, b) => a + b, 0) / r.losses.length;
        peakStash[ctx.rank] = r.peakStash;
        replayed += r.replayed;
        await syncSharedAcrossStages(ctx, pipe, pp.index, pp.size);
      } else {
        const out = await m.call(x); // dense: [B/dp, S, H] or logits
        const loss = await lossOf(own.loss, out, { input: x, target }, () => computeLoss(out, target, model.loss, vocab), opts.locate?.('loss'));
        if (ctx.mode === 'numeric') losses[ctx.rank] = (await loss.values())[0];
        await ctx.backward(loss);
      }
      if (dp.size > 1 || optimizer) await syncGradients(ctx, outside, spec.dataParallel, optimizer);
      if (zl && optimizer) await stepLayerShards(ctx, zl.shards, optimizer, zero === 2, spec.dataParallel?.overlap ?? false); // reduce-scattered in the backward
      captures[ctx.rank]?.collectInputGrads();
      const byPath = new Map(m.namedModules());
      for (const [name, p] of named) {
        const owner = byPath.get(name.slice(0, Math.max(0, name.lastIndexOf('.'))));
        const key = name.slice(name.lastIndexOf('.') + 1);
        const dense = p.global?.name ?? name;
        params[ctx.rank].set(dense, {
          name: dense,
          module: owner?.path ?? '',
          key,
          shape: p.shape,
          grad: p.grad?.data ? p.grad.data.clone() : null,
          placement: p.placement,
          fused: fusedDense.get(dense.slice(0, Math.max(0, dense.lastIndexOf('.')))),
          builtAt: owner?.builtAt,
        });
      }
      done++;
      progress('sharded', Math.round((100 * done) / mesh.worldSize), `rank ${ctx.rank} done`);
    });
    for (const c of captures) c?.stop();

    // ---- compare
    let verification: VerificationInfo;
    if (!wantVerify) verification = { passed: res.ok, skipped: mode === 'meta' ? 'meta mode has shapes only' : 'verification is off', outputs: [], grads: [] };
    else if (!ref) verification = { passed: false, skipped: `the unsharded reference failed: ${refError?.headline ?? 'unknown error'}`, outputs: [], grads: [] };
    else {
      progress('verify', 0, 'comparing with the unsharded model');
      verification = verify({ mesh, captures, params, losses, trace: res.trace, microbatches: pipelined ? (input.microbatches ?? 1) : 1, lossSummands: input.batch * input.seq }, ref, tol, opts.dump);
      if (!res.ok) verification = { ...verification, passed: false };
    }
    disposeRecords(captures, params, ref);
    progress('done', 100, verification.skipped ? `done (${verification.skipped})` : verification.passed ? 'verified' : 'not verified');
    const errors = refError && !res.errors.length ? [refError] : res.errors;
    const pipeline = pipelined ? pipelineInfo(spec, mesh, res, peakStash, replayed) : undefined;
    return buildReport({ spec, mesh, mode, res: { ...res, errors, ok: res.ok && !refError }, shards, modules, verification, backend: opts.backend, script: opts.script, wallMs: performance.now() - t0, stages: stageInfo, pipeline });
  } finally {
    store.dispose();
  }
}

/** The step on ZeRO-2/3 layer shards; ZeRO-2 then all-gathers the updated weights. */
async function stepLayerShards(ctx: RankContext, shards: readonly [string, Tensor][], optimizer: Adam, gather: boolean, overlap: boolean): Promise<void> {
  await ctx.withPhase('optimizer', async () => {
    // (syncGradients, which ran first, waited for the backward's reduce-scatters)
    for (const [, s] of shards) {
      if (!s.grad) continue;
      const updated = optimizer.step(s.grad, s.dtype); // [⌈numel/dp⌉]
      const ag = () => ctx.comm.allGather(updated, { axis: 'dp', dim: 0, label: 'zero_param_all_gather' });
      // overlapped: behind the next step's forward, as grad-sync.ts's
      if (gather) await (overlap ? ctx.onCommStream(ctx.clock, ag) : ag());
    }
  });
}

/**
 * This rank's Adam: states for all its parameter elements, or for 1/dp of them with ZeRO ≥ 1
 * (rounded up); ZeRO-3's layer shards (`shards`, already 1/dp) count as they are.
 */
function makeOptimizer(ctx: RankContext, named: readonly [string, Tensor][], spec: SimulationSpec, dp: number, shards: readonly [string, Tensor][] = []): Adam {
  const isShard = new Set(shards.map(([, t]) => t));
  const whole = named.reduce((a, [, p]) => a + (isShard.has(p) ? 0 : p.size), 0);
  const sharded = (spec.dataParallel?.zero ?? 0) >= 1 && dp > 1;
  const states = (sharded ? Math.ceil(whole / dp) : whole) + shards.reduce((a, [, t]) => a + t.size, 0);
  return new Adam(ctx, named.map(([, p]) => p), adamOptions(spec.optimizer!), states);
}

/** Forward, loss and gradients of the dense model on one rank, gradients by TensorFlow.js autodiff. */
async function referenceRun(ctx: RankContext, spec: SimulationSpec, store: WeightStore, vocab: number | undefined, dump?: TensorSink): Promise<ReferenceRecord> {
  const model = spec.model!;
  const m = buildQuietly(() => model.build(new Params(ctx, store)));
  assignPaths(m);
  const cap = new RankCapture(ctx);
  const batch = batchFor(ctx, model, { batch: spec.input!.batch, seq: spec.input!.seq }, spec.seed ?? 0, spec.input!.data, spec.input!.labels);
  const x = batch.input;
  if (dump) {
    // the run's batch, the same for the reference and the sharded run (each replica takes its rows)
    for (const [name, t] of [['input', x], ['labels', batch.target]] as const) if (t.data) dump(name, t.shape, Float32Array.from(t.data.dataSync()));
  }
  if (isFloat(x.dtype)) x.requiresGrad = true;
  const named = m.namedParameters();
  const leaves = [...named.map(([, p]) => p), ...(x.requiresGrad ? [x] : [])];
  const forward = async () => {
    const out = await m.call(x);
    return lossOf(spec.loss, out, batch, () => computeLoss(out, batch.target, model.loss, vocab));
  };
  // one TensorFlow.js backward gives the parameters', the input's and every module input's
  // gradients: over tfjs's tape of the forward when it has one, else over a replay of it
  const probesOf = () => cap.calls.map((c) => c.input).filter((t): t is Tensor => !!t && t.data !== null && t.node !== null);
  let g = await tapeGradients(forward, () => ({ leaves, probes: probesOf() }));
  if (!g) {
    ctx.replay = [];
    const loss = await forward();
    const replayed = replayGradients(ctx.replay, leaves, loss, probesOf());
    ctx.replay = null;
    g = { loss, ...replayed };
  }
  const loss = g.loss;
  cap.stop();
  const inputGrad = x.requiresGrad ? g.leaves[g.leaves.length - 1] : null;
  for (const c of cap.calls) {
    const t = c.input ? (g.probes.get(c.input.id) ?? (c.input === x ? inputGrad : null)) : null;
    if (t) c.inputGrad = { shape: t.shape, data: t.clone() };
  }
  for (const t of g.probes.values()) t.dispose();
  const grads = new Map<string, tf.Tensor>();
  const values = new Map<string, tf.Tensor>();
  named.forEach(([name, p], i) => {
    grads.set(name, g.leaves[i]);
    values.set(name, p.requireData().clone());
  });
  return { capture: cap, grads, values, loss: (await loss.values())[0], inputGrad };
}

interface Pipe {
  readonly seq: Sequential;
  readonly stages: StageRange[];
  readonly virtual: number;
  readonly microbatches: number;
  /** Parameter name → the pp ranks whose chunks use it (computed once). */
  holders?: Map<string, Set<number>>;
}

/** A spec error found while a rank builds (stages that do not fit the layers): at the spec's line for it. */
function atLine<T>(f: () => T, rank: number, at: SourceLocation | undefined): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ConfigError) || e.source || !at) throw e;
    throw new SimError('config', `rank ${rank}: ${e.headline}`, { ranks: [{ rank, source: at, detail: 'the spec line' }], fix: e.fix, source: at });
  }
}

function pipelineOf(model: ModelSpec, m: Model, p: number, spec: SimulationSpec): Pipe {
  const seq = model.sequential?.(m);
  if (!seq) throw new ConfigError(`the model "${model.name}" has no sequential form, so it cannot be cut into pipeline stages`, 'give its ModelSpec a sequential(model) → { pre, blocks, post }');
  const interleaved = spec.schedule === 'Interleaved1F1B';
  const virtual = spec.stages?.virtual ?? (interleaved ? 2 : 1);
  if (virtual > 1 && !interleaved && typeof spec.schedule !== 'function') throw new ConfigError(`stages.virtual = ${virtual} needs the Interleaved1F1B schedule`, 'set schedule: "Interleaved1F1B"');
  const layers = seq.blocks.map((b) => ({ name: b.name, kind: b.kind, params: b.parameters().reduce((a, [, t]) => a + t.size, 0) }));
  const stages = partition(layers, p * virtual, spec.stages?.method ?? 'uniform');
  return { seq, stages, virtual, microbatches: spec.input?.microbatches ?? 1 };
}

/**
 * ZeRO-2/3 units outside the transformer layers: the module owning each of this rank's other
 * parameters (embeddings, final norm, head), as FSDP shards them too — except a parameter two
 * modules share (a tied head), which stays whole.
 */
function edgeUnits(m: Model, layerPaths: readonly string[], named: readonly [string, Tensor][]): string[] {
  const inLayer = (n: string) => layerPaths.some((l) => n.startsWith(`${l}.`));
  const owners = new Map<Tensor, number>();
  const tied = new Set<Module>(); // modules another module reads outside the tree (a tied head's embedding)
  for (const [, mod] of m.namedModules()) {
    for (const [, t] of mod.ownParameters()) owners.set(t, (owners.get(t) ?? 0) + 1);
    const kids = new Set(mod.children().map(([, c]) => c));
    for (const k of Object.getOwnPropertyNames(mod)) {
      const v = (mod as unknown as Record<string, unknown>)[k];
      if (v instanceof Module && v !== mod && !kids.has(v)) tied.add(v);
    }
  }
  const units = new Set<string>();
  for (const [n, t] of named) {
    const path = n.slice(0, Math.max(0, n.lastIndexOf('.')));
    const mod = path && !inLayer(n) ? m.get(path) : undefined;
    if (mod && owners.get(t) === 1 && !tied.has(mod)) units.add(path);
  }
  return [...units];
}

/** The dense-named parameters of this rank's chunks. */
function rankParams(pipe: Pipe, s: number, p: number): [string, Tensor][] {
  const out = new Map<string, Tensor>();
  for (let c = 0; c < pipe.virtual; c++) for (const l of stageLayers(pipe.seq, pipe.stages, c * p + s)) for (const [n, t] of l.parameters()) out.set(n, t);
  return [...out.entries()];
}

function describeStages(pipe: Pipe, mesh: Mesh): StageInfo[] {
  const p = mesh.size('pp');
  return Array.from({ length: p }, (_, s) => ({
    stage: s,
    ranks: Array.from({ length: mesh.worldSize }, (_, r) => r).filter((r) => mesh.coord(r, 'pp') === s),
    layers: Array.from({ length: pipe.virtual }, (_, c) => stageLayers(pipe.seq, pipe.stages, c * p + s).map((l) => l.name)).flat(),
  }));
}

/**
 * A parameter used by several stages (GPT-2's wte: the embedding on the first, the tied head on
 * the last) has a gradient part on each; sum them over those stages (Megatron's embedding group),
 * phase "optimizer".
 */
async function syncSharedAcrossStages(ctx: RankContext, pipe: Pipe, s: number, p: number): Promise<void> {
  let holders = pipe.holders;
  if (!holders) {
    holders = new Map<string, Set<number>>();
    for (let g = 0; g < p * pipe.virtual; g++) {
      for (const l of stageLayers(pipe.seq, pipe.stages, g)) for (const [n] of l.parameters()) {
        const set = holders.get(n) ?? new Set<number>();
        set.add(g % p);
        holders.set(n, set);
      }
    }
    pipe.holders = holders;
  }
  const mine = new Map(rankParams(pipe, s, p));
  await ctx.withPhase('optimizer', async () => {
    for (const [name, set] of [...holders.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (set.size < 2 || !set.has(s)) continue;
      const t = mine.get(name);
      if (!t?.grad) continue;
      const ranks = [...set].sort((a, b) => a - b).map((stage) => ctx.mesh.rankOf({ ...ctx.coords, pp: stage }));
      t.grad = await ctx.comm.allReduce(t.grad, { group: ctx.mesh.group(ranks), label: 'tied_grad_sync' });
    }
  });
}

function pipelineInfo(spec: SimulationSpec, mesh: Mesh, res: SimResult, peakStash: number[], replayed: number): PipelineInfo {
  const p = mesh.size('pp');
  const m = spec.input?.microbatches ?? 1;
  const v = spec.stages?.virtual ?? (spec.schedule === 'Interleaved1F1B' ? 2 : 1);
  // bubble = (step − busy) / busy on each stage, busy = compute + collectives inside the stage
  // (tensor-parallel all-reduces are part of t_f and t_b); waits and p2p transfers are bubble;
  // collectives on a communication stream overlap the compute (not busy), but the compute waiting
  // for one (its exposed end: the TP overlap's, an overlapped DP reduction's) is
  const busy = new Float64Array(mesh.worldSize);
  for (const e of res.trace) {
    if (e.kind === 'compute' || isStreamWait(e) || (e.kind === 'comm' && e.name !== 'recv' && e.name !== 'send' && !onStream(e))) busy[e.rank] += e.endUs - e.startUs;
  }
  const step = maxOf(res.clocks, 0);
  const stageBusy = Array.from({ length: p }, (_, stage) => busy[mesh.rankOf({ pp: stage })]);
  const perStage = stageBusy.map((b) => (b > 0 ? (step - b) / b : 0));
  return {
    schedule: typeof spec.schedule === 'function' ? 'custom' : (spec.schedule ?? '1F1B'),
    stages: p,
    microbatches: m,
    virtual: v,
    bubbleMeasured: perStage.reduce((a, b) => a + b, 0) / p,
    bubblePerStage: perStage,
    bubbleFormula: idealBubble(p, m, v),
    peakStash: Array.from({ length: p }, (_, stage) => peakStash[mesh.rankOf({ pp: stage })]),
    stageBusyUs: stageBusy,
    ...unevenBubble(stageBusy, m, v),
    ...(replayed ? { replayed } : {}),
  };
}

/**
 * The bubble uneven stages predict, when their busy times differ by more than 5 %. With t_s the
 * per-micro-batch time of stage s (forward + backward, the forward taken as a third), stage k
 * cannot finish before: the first micro-batch has crossed the stages before it (Σ_{s<k} t_s / v,
 * counting the last gradient's way back), it has run all m (m·t_k), and — where its p − k − 1
 * warm-up forwards do not cover it — the first micro-batch's round trip through the stages after
 * it (Σ_{s>k} t_s / v − (p − k − 1)·t_k/3). The estimated step is the largest of these; stage s
 * then idles (step − m·t_s)/(m·t_s). Equal stages give (p − 1)/(v·m).
 */
function unevenBubble(busy: readonly number[], m: number, v: number): { bubbleUneven?: number } {
  const max = Math.max(...busy);
  const min = Math.min(...busy);
  if (!(min > 0) || max / min - 1 <= 0.05) return {};
  const p = busy.length;
  const t = busy.map((b) => b / m);
  const total = t.reduce((a, b) => a + b, 0);
  let before = 0;
  let step = 0;
  t.forEach((tk, k) => {
    const after = total - before - tk;
    step = Math.max(step, before / v + m * tk + Math.max(0, after / v - ((p - k - 1) * tk) / 3));
    before += tk;
  });
  return { bubbleUneven: t.reduce((a, ts) => a + (step - m * ts) / (m * ts), 0) / p };
}

/**
 * Attention modules (they have a `headDim`) must hold whole heads in every projection: a
 * tensor-parallel split that cuts a head (kv heads not divisible by tp) is refused here, before
 * anything runs, with the line that split it.
 */
function checkWholeHeads(root: Module, tp: number): void {
  for (const [, mod] of root.namedModules()) {
    const hd = (mod as { headDim?: unknown }).headDim;
    if (typeof hd !== 'number') continue;
    for (const [key, child] of mod.children()) {
      const w = (child as { weight?: Tensor }).weight;
      if (!w || w.ndim !== 2) continue;
      const out = w.shape[1];
      const global = w.global?.shape[1] ?? out;
      if (out % hd === 0 || (child as { fused?: number }).fused) continue;
      const heads = global / hd;
      const fits = Array.from({ length: heads }, (_, i) => i + 1).filter((d) => heads % d === 0);
      throw new ConfigError(
        `${child.path}: each rank holds ${out} of the ${global} output columns, ${out / hd} of a head (head dim ${hd}) — the ${heads} ${/k_proj|v_proj/.test(key) ? 'kv ' : ''}heads do not divide among tp=${tp}`,
        `use a tp that divides ${heads} (${fits.join(', ')}), or a model with more ${/k_proj|v_proj/.test(key) ? 'kv ' : ''}heads`,
        child.builtAt,
      );
    }
  }
}

function sliceRows(t: Tensor, start: number, rows: number, parts: number): Tensor {
  if (parts === 1) return t;
  const s = t.ctx.noGrad(() => narrow(t, 0, start, rows)); // [B/dp, ...]
  return s;
}

function shardRows(rank: number, m: Module): ShardRecordRow[] {
  const rows: ShardRecordRow[] = [];
  for (const [path, mod] of m.namedModules()) {
    for (const [key, p] of mod.ownParameters()) rows.push({ rank, module: path, param: key, kind: mod.kind, tensor: p, builtAt: mod.builtAt });
  }
  return rows;
}

function recordModuleShapes(ctx: RankContext, out: ModuleShape[]): void {
  const seen = new Set<string>();
  addModuleHook(ctx, (m, _inputs, y) => {
    if (seen.has(m.path)) return;
    seen.add(m.path);
    out.push({ rank: ctx.rank, module: m.path, kind: m.kind, outputShape: y.shape, builtAt: m.builtAt });
  });
}

function disposeRecords(captures: (RankCapture | null)[], params: Map<string, ParamRecord>[], ref: ReferenceRecord | null): void {
  const disp = (t: tf.Tensor | null | undefined) => {
    if (t && !t.isDisposed) t.dispose();
  };
  const caps = [...captures, ref?.capture ?? null];
  for (const c of caps) {
    for (const call of c?.calls ?? []) {
      disp(call.output.data);
      disp(call.inputGrad?.data);
    }
  }
  for (const m of params) for (const r of m.values()) disp(r.grad);
  if (ref) {
    for (const t of ref.grads.values()) disp(t);
    for (const t of ref.values.values()) disp(t);
    disp(ref.inputGrad);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

