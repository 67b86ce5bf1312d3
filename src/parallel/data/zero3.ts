/**
 * ZeRO-2 and -3 for the transformer layers (Rajbhandari et al. 2020 §5.2–5.3; FSDP with one unit
 * per layer, as torchtitan wraps them), meta mode. Each data-parallel rank keeps, with an
 * optimizer, 1/dp of every layer parameter's gradient (flattened, padded to a multiple of dp):
 * every micro-batch's weight gradients are reduce-scattered (avg) into it in the backward, and
 * after the step the updated shards are all-gathered (phase optimizer). ZeRO-3 keeps 1/dp of the
 * weights too:
 *
 *   forward:  all-gather of the layer's parameter shards (phase forward), the layer runs on the
 *             whole weights, which are freed once the layer's forward is done
 *   backward: all-gather again when the backward reaches the layer (phase backward; under full
 *             recomputation the recompute's gather serves), then a reduce-scatter (avg) of each
 *             weight gradient into this rank's gradient shard
 *   step:     the optimizer updates the shards; nothing is gathered after it
 * With fp32 main gradients (`reduceDType` float32) each gradient is cast into an fp32 buffer and
 * reduce-scattered in fp32, as FSDP with reduce_dtype float32 does.
 * With `overlap`, the gradients' reduce-scatters run on the communication stream behind the rest of
 * the backward (the step waits for them), and each unit's gather on the all-gather stream from
 * the previous unit's start (FSDP's one-unit prefetch).
 * The modules outside the layers (embeddings, final norm, head) are units of their own, as FSDP
 * shards them (run.ts edgeUnits); a parameter two modules share (a tied head) stays whole.
 * Meta mode only: the gradients stay sharded, so there is no whole gradient for the verifier.
 */
import { RECOMPUTE_PHASE } from '../../core/checkpoint.js';
import type { RankContext } from '../../core/context.js';
import { cast, narrow, pad, reshape } from '../../core/ops/index.js';
import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import { Module } from '../../models/nn/module.js';
import { custom } from '../mappings.js';

/** When each rank's last ZeRO-3 unit started (after its gather): the next unit's gather may start then (prefetch). */
const unitStart = new WeakMap<RankContext, number>();
/** The memory indices of each rank's last gathered unit weights (kept alive until the next unit's gather: the prefetch). */
const unitWeights = new WeakMap<RankContext, number[]>();

/** One layer parameter under ZeRO-3: where the module holds it, and this rank's shard (a leaf). */
interface ShardedParam {
  readonly owner: Module;
  readonly key: string;
  readonly full: Tensor;
  readonly shard: Tensor;
}

/**
 * Shard the parameters of this rank's layers (`layerPaths` whose parameters are in `mine`) over
 * `axis`: each layer is wrapped in a ZeroLayer; returns the full parameters (no longer held) and
 * the shards (held: the step's parameters).
 */
export function shardLayers(ctx: RankContext, root: Module, layerPaths: readonly string[], mine: ReadonlySet<Tensor>, opts: { readonly weights: boolean; readonly axis?: string; readonly overlap?: boolean; readonly reduceDType?: DType }): { full: Set<Tensor>; shards: [string, Tensor][] } {
  const axis = opts.axis ?? 'dp';
  const n = ctx.axisSize(axis);
  const full = new Set<Tensor>();
  const shards: [string, Tensor][] = [];
  for (const path of layerPaths) {
    const layer = root.get(path);
    if (!layer) continue;
    const params: ShardedParam[] = [];
    for (const [mpath, mod] of layer.namedModules(path)) {
      for (const [key, p] of mod.ownParameters()) {
        if (!mine.has(p)) continue;
        const shard = ctx.noGrad(() => ctx.empty([Math.ceil(p.size / n)], p.dtype)); // [⌈numel/dp⌉]
        shard.requiresGrad = true;
        shard.name = `${p.global?.name ?? `${mpath}.${key}`}[zero3 shard]`;
        params.push({ owner: mod, key, full: p, shard });
        full.add(p);
        shards.push([shard.name, shard]);
      }
    }
    if (params.length) root.set(path, new ZeroLayer(layer, params, axis, opts.weights, opts.overlap ?? false, opts.reduceDType));
  }
  return { full, shards };
}

/** A transformer layer whose parameters live as dp shards; transparent like the other wrappers. */
export class ZeroLayer extends Module {
  declare readonly inner: Module;
  declare readonly params: readonly ShardedParam[];
  declare readonly axis: string;
  /** ZeRO-3: the weights are sharded too (else only the gradients: ZeRO-2). */
  declare readonly weights: boolean;
  /** The gradients' reduce-scatters on the communication stream, behind the backward (grad-sync.ts `overlap`). */
  declare readonly overlap: boolean;
  /**
   * The dtype gradients are reduce-scattered in (FSDP's `reduce_dtype`): float32 with fp32 main
   * gradients, as torchtitan's default and Meta's Llama 3 (§3.3.2: "reduce-scatter gradients in FP32");
   * unset: the gradient's own.
   */
  declare readonly reduceDType: DType | undefined;

  constructor(inner: Module, params: readonly ShardedParam[], axis: string, weights: boolean, overlap = false, reduceDType?: DType) {
    super();
    Object.defineProperty(this, 'inner', { value: inner, enumerable: false });
    Object.defineProperty(this, 'params', { value: params, enumerable: false });
    Object.defineProperty(this, 'axis', { value: axis, enumerable: false });
    Object.defineProperty(this, 'weights', { value: weights, enumerable: false });
    Object.defineProperty(this, 'overlap', { value: overlap, enumerable: false });
    Object.defineProperty(this, 'reduceDType', { value: reduceDType, enumerable: false });
    this.builtAt = inner.builtAt;
    this.path = inner.path;
  }

  override get kind(): string {
    return this.inner.kind;
  }

  override children(): [string, Module][] {
    return this.inner.children();
  }

  override ownParameters(): [string, Tensor][] {
    return this.inner.ownParameters();
  }

  async forward(x: Tensor): Promise<Tensor> {
    const ctx = x.ctx;
    // ZeRO-3: whole weights gathered for this layer only; ZeRO-2: the weights themselves, through a
    // view whose backward reduce-scatters their gradient into the shard
    const weights = this.weights ? await this.prefetched(ctx, 'zero3_param_all_gather', true) : await this.gradientViews(ctx);
    const holder = (p: ShardedParam) => p.owner as unknown as Record<string, Tensor>;
    this.params.forEach((p, i) => (holder(p)[p.key] = weights[i]));
    let out: Tensor;
    try {
      out = await this.inner.forward(x); // [B, S(/tp), H]
    } finally {
      for (const p of this.params) holder(p)[p.key] = p.full;
    }
    // with the tape off (a forward recomputation will run) or inside the recomputation (whose
    // gathered weights serve its backward), nothing more to do
    if (!this.weights || !ctx.gradEnabled || ctx.phase === RECOMPUTE_PHASE || !out.requiresGrad) return out;
    // free the whole weights after the forward: what the backward keeps of them is re-pointed to
    // a second gather, made when the backward reaches this layer
    for (const w of weights) w.memIndex = -1;
    const y = reshape(out, out.shape); // a view whose backward runs first for this layer
    y.node = {
      op: 'zero3_regather',
      inputs: [out],
      saved: [],
      module: ctx.module,
      site: ctx.moduleSite(),
      backward: async (dy) => {
        const again = await this.prefetched(ctx, 'zero3_param_all_gather.backward', false);
        weights.forEach((w, i) => (w.memIndex = again[i].memIndex));
        return [dy];
      },
    };
    return y;
  }

  /**
   * The gather, overlapped (FSDP's prefetch): on the all-gather stream from the time the previous
   * unit started (one unit ahead), the layer waiting for it; blocking without `overlap`. The
   * previous unit's whole weights stay alive until this gather, so two units' weights are held at
   * once, as with the prefetch.
   */
  private async prefetched(ctx: RankContext, label: string, taped: boolean): Promise<Tensor[]> {
    if (!this.overlap) return this.gather(ctx, label, taped);
    const at = unitStart.get(ctx) ?? ctx.clock;
    const out = await ctx.onCommStream(at, () => this.gather(ctx, label, taped), 'gather');
    ctx.waitCommStream('gather');
    unitStart.set(ctx, ctx.clock);
    // the previous unit's whole weights live until this gather (the prefetch held both at once)
    const prev = unitWeights.get(ctx);
    if (prev) {
      ctx.memory.tick();
      for (const i of prev) if (i >= 0) ctx.memory.use(i);
    }
    unitWeights.set(ctx, out.map((w) => w.memIndex));
    return out;
  }

  /** ZeRO-2: each weight as a view whose gradient is reduce-scattered into its shard. */
  private async gradientViews(ctx: RankContext): Promise<Tensor[]> {
    const out: Tensor[] = [];
    for (const p of this.params) out.push(await custom(ctx, [p.shard], async () => ctx.noGrad(() => reshape(p.full, p.full.shape)), (dy) => this.reduceScatter(ctx, p, dy), 'zero2_weight'));
    return out;
  }

  /** A weight gradient (whole, this rank's micro-batch) → this rank's shard of the average over dp. */
  private async reduceScatter(ctx: RankContext, p: ShardedParam, dy: Tensor): Promise<Tensor[]> {
    const n = ctx.axisSize(this.axis);
    const rd = this.reduceDType;
    // FSDP copies the gradient into its reduce-scatter buffer, cast to reduce_dtype (one kernel)
    const flat = ctx.noGrad(() => (rd && dy.dtype !== rd ? cast(reshape(dy, [-1]), rd) : reshape(dy, [-1]))); // [numel]
    const padded = n * p.shard.size;
    const even = padded === flat.size ? flat : ctx.noGrad(() => pad(flat, 0, 0, padded - flat.size)); // [n·⌈numel/n⌉]
    const rs = () => ctx.comm.reduceScatter(even, { axis: this.axis, op: 'avg', label: 'zero_layer_grad_reduce_scatter' }); // [⌈numel/n⌉]
    return [await (this.overlap ? ctx.onCommStream(ctx.clock, rs) : rs())];
  }

  /** All-gather every parameter's shard into a tensor shaped like the parameter (whose backward reduce-scatters). */
  private async gather(ctx: RankContext, label: string, taped = true): Promise<Tensor[]> {
    const out: Tensor[] = [];
    for (const p of this.params) {
      const axis = this.axis;
      const shard = p.shard;
      const full = p.full;
      const n = ctx.axisSize(axis);
      const whole = async () => {
        const flat = await ctx.comm.allGather(shard, { axis, dim: 0, label }); // [n·⌈numel/n⌉]
        flat.node = null;
        flat.requiresGrad = false;
        return ctx.noGrad(() => reshape(flat.size === full.size ? flat : narrow(flat, 0, 0, full.size), full.shape)); // like the parameter (views)
      };
      if (!taped || !ctx.gradEnabled) {
        out.push(await whole());
        continue;
      }
      out.push(await custom(ctx, [shard], whole, (dy) => this.reduceScatter(ctx, p, dy), 'zero3_gather'));
    }
    return out;
  }
}
