import type { RankContext } from '../../core/context.js';
import { bytesOf } from '../../core/dtype.js';
import { concat, narrow, pad, reshape } from '../../core/ops/index.js';
import type { Tensor } from '../../core/tensor.js';
import type { Adam } from './adam.js';

/**
 * How data-parallel replicas combine their gradients after backward (phase "optimizer"):
 *   bucketMB   gradients are flattened into buckets of about this size (PyTorch DDP's
 *              bucket_cap_mb; default 25), one collective per bucket; 0 = one per parameter
 *   zero       0: all-reduce (avg) of every bucket — plain DDP
 *              1 | 2: ZeRO-1/2 — reduce-scatter (avg) of every bucket, so each replica keeps
 *              1/dp of the averaged gradient for its optimizer shard, then an all-gather of the
 *              updated parameter shards. The all-gather is simulated on the averaged gradient
 *              shards (same shape and dtype as the parameter shards), so the ledger is exact and
 *              the verifier still sees full averaged gradients. ZeRO-1 and -2 move the same
 *              bytes; they differ in what stays resident (gradients), which the planner models.
 * Buckets are filled in reverse parameter order, as backward produces the gradients.
 */
export interface DataParallelOptions {
  readonly bucketMB?: number;
  /**
   * Meta mode, 2: the transformer layers' gradients sharded, reduce-scattered every micro-batch;
   * 3: their weights too, gathered per layer (./zero3.ts). This function then syncs the rest.
   */
  readonly zero?: 0 | 1 | 2 | 3;
  readonly axis?: string;
  /**
   * Communication behind compute, as Megatron's overlap_grad_reduce / overlap_param_gather (and
   * DDP's bucketed all-reduce): each bucket's reduction runs on the communication stream from the
   * moment the backward finished its last gradient (RankContext.gradReadyUs), the optimizer waits
   * for all of them; ZeRO-1/2's all-gather of the updated weights runs behind the next step's
   * forward, so this step does not wait for it. ZeRO-2/3's per-micro-batch reduce-scatters of
   * the layers' gradients run on the stream too (./zero3.ts). Default false: every collective
   * blocks the rank.
   */
  readonly overlap?: boolean;
}

/**
 * With an optimizer (./adam.ts), its step runs per bucket where the data lives: on the averaged
 * bucket after the all-reduce (ZeRO 0, or no data parallelism), or on this rank's shard between
 * the reduce-scatter and the all-gather (ZeRO 1/2) — which then gathers the updated weights in
 * their own dtype (the all-gather's values are the averaged gradients', so the verifier sees them).
 */
export async function syncGradients(ctx: RankContext, params: readonly [string, Tensor][], opts: DataParallelOptions = {}, optimizer?: Adam): Promise<void> {
  const axis = opts.axis ?? 'dp';
  const n = ctx.axisSize(axis);
  if (n <= 1 && !optimizer) return;
  const cap = (opts.bucketMB ?? 25) * 2 ** 20;
  const zero = opts.zero ?? 0;
  const withGrad = [...params].reverse().filter(([, p]) => p.grad);
  const buckets: Tensor[][] = [];
  let cur: Tensor[] = [];
  let size = 0;
  for (const [, p] of withGrad) {
    const b = bytesOf(p.size, p.grad!.dtype);
    if (cur.length && (cap === 0 || size + b > cap)) {
      buckets.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(p);
    size += b;
  }
  if (cur.length) buckets.push(cur);

  const overlap = (opts.overlap ?? false) && n > 1;
  if (overlap) return overlapped();
  await ctx.withPhase('optimizer', async () => {
    for (const bucket of buckets) {
      const flat = flatten(bucket);
      const paramDType = bucket[0].dtype;
      let synced: Tensor;
      if (n <= 1) {
        synced = flat;
        optimizer?.step(flat, paramDType);
      } else if (zero === 0) {
        synced = await ctx.comm.allReduce(flat, { axis, op: 'avg', label: 'dp_grad_sync' });
        optimizer?.step(synced, paramDType);
      } else {
        const shard = await reduceScatter(flat);
        const updated = optimizer ? optimizer.step(shard, paramDType) : shard; // this rank's new weights [⌈Σ/n⌉]
        synced = await allGather(updated, flat.size);
      }
      regrad(bucket, synced);
    }
  });

  /**
   * Overlapped: each bucket's reduction runs on the communication stream from the time the
   * backward made the bucket's last gradient; its step waits for it (the steps of earlier buckets
   * run while later ones reduce — Megatron steps once all have finished: the difference is at most
   * the optimizer's own time); the all-gathers of ZeRO-1/2 run after all the steps, behind the next
   * step's forward (overlap_param_gather), and this step does not wait for them.
   */
  async function overlapped(): Promise<void> {
    await ctx.withPhase('optimizer', async () => {
      const gathers: [Tensor[], Tensor, number][] = [];
      for (const bucket of buckets) {
        const flat = flatten(bucket);
        const at = bucket.reduce((t, p) => Math.max(t, ctx.gradReadyUs.get(p) ?? ctx.clock), 0);
        const reduced = await ctx.onCommStream(at, () => (zero === 0 ? ctx.comm.allReduce(flat, { axis, op: 'avg', label: 'dp_grad_sync' }) : reduceScatter(flat)));
        ctx.waitCommStream('comm'); // this bucket's reduction (the stream runs them in order)
        const updated = optimizer ? optimizer.step(reduced, bucket[0].dtype) : reduced;
        if (zero === 0) regrad(bucket, reduced);
        else gathers.push([bucket, updated, flat.size]);
      }
      for (const [bucket, updated, total] of gathers) regrad(bucket, await ctx.onCommStream(ctx.clock, () => allGather(updated, total)));
    });
  }

  /** The params' gradients as views of the synced bucket. */
  function regrad(bucket: readonly Tensor[], synced: Tensor): void {
    let off = 0;
    for (const p of bucket) {
      const len = p.size;
      p.grad = ctx.noGrad(() => reshape(bucket.length === 1 ? synced : narrow(synced, 0, off, len), p.shape));
      off += len;
    }
  }

  /** The updated shards gathered over dp, cut to the bucket's `total` elements. */
  async function allGather(updated: Tensor, total: number): Promise<Tensor> {
    const full = await ctx.comm.allGather(updated, { axis, dim: 0, label: 'zero_param_all_gather' });
    return full.size === total ? full : ctx.noGrad(() => narrow(full, 0, 0, total));
  }

  function flatten(bucket: readonly Tensor[]): Tensor {
    return ctx.noGrad(() => (bucket.length === 1 ? reshape(bucket[0].grad!, [-1]) : concat(bucket.map((p) => reshape(p.grad!, [-1])), 0))); // [Σ numel]
  }

  function reduceScatter(flat: Tensor): Promise<Tensor> {
    const total = flat.size;
    const padded = Math.ceil(total / n) * n;
    const even = padded === total ? flat : ctx.noGrad(() => pad(flat, 0, 0, padded - total)); // [n·⌈Σ/n⌉]
    return ctx.comm.reduceScatter(even, { axis, op: 'avg', label: 'zero_grad_reduce_scatter' }); // [⌈Σ/n⌉]
  }

}
