import type { RankContext } from '../../core/context.js';
import { beginSegment, dropSegment, endSegment, replaySegment, sameSegment, type IndexFrame, type IndexRange, type Segment } from '../../core/segment.js';
import type { Tensor } from '../../core/tensor.js';

interface Steady {
  /** The last real run's segment (null: none yet), its class, and (backward) its forward's class. */
  last: Segment | null;
  lastCls: number;
  lastFwd: number;
  /** Replayable from now on. */
  ready: Segment | null;
  readyCls: number;
  /** The class of forward the ready backward was recorded after. */
  readyFwd: number;
  /** Cannot be replayed (it talks to another live rank): always run for real. */
  off: boolean;
}

interface ForwardRun {
  readonly range: IndexRange;
  /** Class of what it did: runs of equal class left the same record (0: not recorded). */
  readonly cls: number;
  readonly replayed: boolean;
}

let classes = 0;

const NO_RANGE: IndexRange = { base: 0, count: 0 };

/**
 * Micro-batch replay for the pipeline runtime (meta mode). Each chunk's forward and backward are
 * recorded while they run for real; once two consecutive real runs of one are identical, later
 * micro-batches replay it (core/segment.ts). A forward is replayed only once its chunk's backward
 * is steady too, after a forward like it — a replayed forward leaves no autograd graph, so its
 * backward must be a replay. Stretches that talk to another live rank (an unfolded
 * tensor-parallel all-reduce) are never replayed.
 */
export class ChunkReplay {
  private readonly fwd = new Map<number, Steady>();
  private readonly bwd = new Map<number, Steady>();
  private readonly fwdRuns = new Map<string, ForwardRun>();
  private readonly lastBwd = new Map<number, IndexRange>();
  /** Stretches replayed so far. */
  replayed = 0;

  constructor(
    private readonly ctx: RankContext,
    private readonly enabled: boolean,
  ) {}

  /** Run (or replay) chunk `chunk`'s forward on micro-batch `mb`; `x` is its input. */
  async forward(chunk: number, mb: number, x: Tensor, run: () => Promise<(Tensor | undefined)[]>): Promise<(Tensor | null | undefined)[]> {
    const ctx = this.ctx;
    const key = `${mb}/${chunk}`;
    const frame: IndexFrame = { ranges: [], singles: [x.memIndex] };
    const st = state(this.fwd, chunk);
    const b = this.bwd.get(chunk);
    if (st.ready && b?.ready && b.readyFwd === st.readyCls) {
      const r = replaySegment(ctx, st.ready, frame);
      this.replayed++;
      this.fwdRuns.set(key, { range: r.range, cls: st.readyCls, replayed: true });
      return r.outputs;
    }
    const base = ctx.memory.size;
    if (!this.enabled || st.off) {
      const outs = await run();
      this.fwdRuns.set(key, { range: { base, count: ctx.memory.size - base }, cls: 0, replayed: false });
      return outs;
    }
    const rec = beginSegment(ctx, frame);
    let outs: (Tensor | undefined)[];
    try {
      outs = await run();
    } catch (e) {
      dropSegment(ctx);
      throw e;
    }
    const seg = endSegment(ctx, rec, outs);
    const cls = advance(st, seg, 0);
    this.fwdRuns.set(key, { range: { base, count: ctx.memory.size - base }, cls, replayed: false });
    return outs;
  }

  /**
   * Run (or replay) the backward of chunk `chunk` on micro-batch `mb`. `singles` are the tensors
   * made outside it that it reads (the forward's input, the output gradient or loss seed);
   * `outputs()` lists what it leaves for the rest of the step (the input's gradient, the
   * parameters' gradients). Returns those outputs when replayed, null when it ran for real.
   */
  async backward(chunk: number, mb: number, singles: readonly (Tensor | null | undefined)[], run: () => Promise<void>, outputs: () => (Tensor | null)[]): Promise<(Tensor | null)[] | null> {
    const ctx = this.ctx;
    const key = `${mb}/${chunk}`;
    const f = this.fwdRuns.get(key);
    this.fwdRuns.delete(key);
    const frame: IndexFrame = { ranges: [f?.range ?? NO_RANGE, this.lastBwd.get(chunk) ?? NO_RANGE], singles: singles.map((t) => t?.memIndex ?? -1) };
    const st = state(this.bwd, chunk);
    if (st.ready && f?.cls && f.cls === st.readyFwd) {
      const r = replaySegment(ctx, st.ready, frame);
      this.replayed++;
      this.lastBwd.set(chunk, r.range);
      return r.outputs;
    }
    if (f?.replayed) throw new Error(`internal: micro-batch ${mb} of chunk ${chunk} was replayed forward but its backward is not steady`);
    const base = ctx.memory.size;
    if (!this.enabled || st.off || !f?.cls) {
      await run();
      this.lastBwd.set(chunk, { base, count: ctx.memory.size - base });
      return null;
    }
    const rec = beginSegment(ctx, frame);
    try {
      await run();
    } catch (e) {
      dropSegment(ctx);
      throw e;
    }
    const seg = endSegment(ctx, rec, outputs());
    this.lastBwd.set(chunk, { base, count: ctx.memory.size - base });
    advance(st, seg, f.cls);
    return null;
  }
}

function state(m: Map<number, Steady>, chunk: number): Steady {
  let s = m.get(chunk);
  if (!s) {
    s = { last: null, lastCls: 0, lastFwd: 0, ready: null, readyCls: 0, readyFwd: 0, off: false };
    m.set(chunk, s);
  }
  return s;
}

/**
 * Take a real run's record: a class (equal records, equal class; 0 if not replayable). Two
 * consecutive runs of one class (after forwards of one class, for a backward) make it steady.
 */
function advance(st: Steady, seg: Segment | null, fwd: number): number {
  if (!seg) {
    st.off = true;
    return 0;
  }
  const same = st.last !== null && sameSegment(st.last, seg);
  const cls = same ? st.lastCls : ++classes;
  if (same && st.lastFwd === fwd) {
    st.ready = seg;
    st.readyCls = cls;
    st.readyFwd = fwd;
  }
  st.last = seg;
  st.lastCls = cls;
  st.lastFwd = fwd;
  return cls;
}
