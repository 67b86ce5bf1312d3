import type { RankContext } from '../../core/context.js';
import { ConfigError } from '../../core/errors.js';
import { narrow } from '../../core/ops/index.js';
import { isFloat } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import type { Work } from '../../core/collectives/comm.js';
import type { PipelineLayer, Sequential } from '../../models/model.js';
import type { StageRange } from './partition.js';
import { checkActions, type ScheduleFn } from './schedule.js';
import { ChunkReplay } from './chunk-replay.js';

export interface PipelineStep {
  readonly seq: Sequential;
  /** Layer ranges of the p·v global stages (over seq.blocks). */
  readonly stages: readonly StageRange[];
  readonly schedule: ScheduleFn;
  readonly microbatches: number;
  readonly virtual: number;
  /** This data-parallel replica's batch. */
  readonly input: Tensor;
  readonly target: Tensor;
  readonly loss: (out: Tensor, target: Tensor) => Promise<Tensor>;
  readonly axis?: string;
  /** Meta mode: replay steady micro-batches (chunk-replay.ts). Default true. */
  readonly replay?: boolean;
}

export interface PipelineResult {
  /** Per micro-batch losses (on the rank holding the last stage). */
  readonly losses: number[];
  readonly lossTensors: Tensor[];
  /** Most micro-batches whose activations were held at once, per chunk on this rank. */
  readonly peakStash: number;
  /** Dense names of the parameters this rank's chunks use. */
  readonly params: [string, Tensor][];
  /** Forward and backward stretches replayed (meta mode, chunk-replay.ts). */
  readonly replayed: number;
}

/** The layers of global stage g: pre on the first, post on the last. */
export function stageLayers(seq: Sequential, stages: readonly StageRange[], g: number): PipelineLayer[] {
  const r = stages[g];
  const out: PipelineLayer[] = [];
  if (g === 0 && seq.pre) out.push(seq.pre);
  out.push(...seq.blocks.slice(r.start, r.end));
  if (g === stages.length - 1 && seq.post) out.push(seq.post);
  return out;
}

/**
 * One training step of pipeline parallelism on this rank: run the schedule's actions. A forward
 * receives its input from the previous stage (or takes the micro-batch), runs the chunk's layers
 * and sends the output on (or computes the loss); a backward receives the output's gradient (or
 * starts from the loss, scaled 1/m), backpropagates through the chunk, and sends the input's
 * gradient back. Peers are the pp-axis neighbours; sends are non-blocking (like Megatron's
 * batched isend/irecv), receives block.
 */
export async function runPipeline(ctx: RankContext, step: PipelineStep): Promise<PipelineResult> {
  const axis = step.axis ?? 'pp';
  const p = ctx.axisSize(axis);
  const s = ctx.coord(axis);
  const v = step.virtual;
  const m = step.microbatches;
  const total = p * v;
  if (step.stages.length !== total) throw new ConfigError(`${step.stages.length} stage ranges for pp=${p} × virtual=${v}`);
  const rows = step.input.shape[0];
  if (rows % m !== 0) {
    throw new ConfigError(`the per-replica batch (${rows}) does not split into ${m} micro-batches`, `use a micro-batch count that divides ${rows}, or a batch that is a multiple of ${m}`);
  }
  const mbRows = rows / m;
  const shape = { stages: p, microbatches: m, virtual: v, stage: s };
  const actions = step.schedule(shape);
  checkActions(actions, shape);
  const comm = ctx.comm;
  const prevRank = comm.peer(axis, -1) ?? comm.peer(axis, p - 1); // ring: chunk c+1 follows rank p−1
  const nextRank = comm.peer(axis, +1) ?? comm.peer(axis, -(p - 1));
  const fwdTag = (mb: number, g: number) => (mb * total + g) * 2;
  const bwdTag = (mb: number, g: number) => (mb * total + g) * 2 + 1;
  const stash = new Map<string, { x: Tensor; y: Tensor; loss?: Tensor }>();
  const sends: Work[] = [];
  const losses: number[] = [];
  const lossTensors: Tensor[] = [];
  let peak = 0;
  const used = new Map<string, Tensor>();
  const chunkParams: Tensor[][] = [];
  for (let c = 0; c < v; c++) {
    const mine = new Set<Tensor>();
    for (const l of stageLayers(step.seq, step.stages, c * p + s)) for (const [n, t] of l.parameters()) {
      used.set(n, t);
      mine.add(t);
    }
    chunkParams.push([...mine]);
  }
  const replay = new ChunkReplay(ctx, ctx.mode === 'meta' && step.replay !== false);

  for (const a of actions) {
    const g = a.chunk * p + s;
    const key = `${a.microbatch}/${a.chunk}`;
    ctx.tag = `mb${a.microbatch}${v > 1 ? `.c${a.chunk}` : ''}`;
    if (a.kind === 'F') {
      let x: Tensor;
      if (g === 0) {
        x = ctx.noGrad(() => narrow(step.input, 0, a.microbatch * mbRows, mbRows)); // [b, S(, H)]
        if (isFloat(x.dtype)) x.requiresGrad = true;
      } else {
        x = await comm.recvAny(prevRank!, { tag: fwdTag(a.microbatch, g - 1) });
        x.requiresGrad = true;
      }
      const last = g === total - 1;
      const [y, loss] = (await replay.forward(a.chunk, a.microbatch, x, async () => {
        let out = x;
        for (const l of stageLayers(step.seq, step.stages, g)) out = await l.run(out);
        if (!last) return [out, undefined];
        const t = ctx.noGrad(() => narrow(step.target, 0, a.microbatch * mbRows, mbRows));
        return [out, await step.loss(out, t)];
      })) as [Tensor, Tensor | undefined];
      const entry: { x: Tensor; y: Tensor; loss?: Tensor } = { x, y };
      if (last) {
        entry.loss = loss!;
        lossTensors.push(entry.loss);
        if (ctx.mode === 'numeric') losses.push((await entry.loss.values())[0]);
      } else sends.push(comm.isend(y, nextRank!, { tag: fwdTag(a.microbatch, g) }));
      stash.set(key, entry);
      peak = Math.max(peak, stash.size);
    } else {
      const e = stash.get(key)!;
      stash.delete(key);
      let seed: Tensor;
      if (g === total - 1) seed = ctx.noGrad(() => ctx.tensor([1 / m], [], e.loss!.dtype));
      else seed = await ctx.withPhase('backward', () => comm.recvAny(nextRank!, { tag: bwdTag(a.microbatch, g) }));
      const params = chunkParams[a.chunk];
      const replayed = await replay.backward(
        a.chunk,
        a.microbatch,
        [e.x, seed],
        async () => {
          if (g === total - 1) await ctx.backward(e.loss!, seed);
          else if (e.y.requiresGrad) await ctx.backward(e.y, seed);
        },
        () => [e.x.grad, ...params.map((q) => q.grad)],
      );
      if (replayed) {
        e.x.grad = replayed[0];
        params.forEach((q, i) => (q.grad = replayed[i + 1]));
      }
      if (g > 0) {
        const gx = e.x.grad ?? ctx.noGrad(() => ctx.zeros(e.x.shape, e.x.dtype));
        // the received activation's gradient is sent back, not kept as a leaf's (backward pinned it)
        if (e.x.grad) ctx.memory.release(e.x.grad.memIndex);
        e.x.grad = null;
        await ctx.withPhase('backward', async () => {
          sends.push(comm.isend(gx, prevRank!, { tag: bwdTag(a.microbatch, g - 1) }));
        });
      }
    }
  }
  ctx.tag = undefined;
  for (const w of sends) await w.wait();
  return { losses, lossTensors, peakStash: peak, params: [...used.entries()], replayed: replay.replayed };
}
