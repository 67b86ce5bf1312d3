import type * as tf from '@tensorflow/tfjs-core';

/**
 * Replicated computation, computed once. Under tensor parallelism every rank of a group runs the
 * same op on the same values (LayerNorm, residual adds, embeddings, the loss): the simulator
 * computes it once and hands the others a copy-free clone, while each rank is still charged the
 * op's time and sees it on its trace.
 *
 * Tensors carry a content id (`cid`): equal ids ⇒ equal values. Ids come from where values are
 * made (a checkpoint parameter by name, a seeded random tensor by seed and key, a collective's
 * replicated output by ledger entry) and from ops: an op's output id is determined by its name,
 * its attributes (the op's `key`), its output shape and its inputs' ids. Ops without a key (their
 * result depends on the rank, e.g. a vocab shard's offset) and inputs without an id stop it.
 */
export class ShareCache {
  private readonly ids = new Map<string, number>();
  private readonly values = new Map<number, tf.Tensor>();
  hits = 0;

  /** The content id for a description of how a value was made. */
  id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(key, id);
    }
    return id;
  }

  /**
   * The value with this id, if one was computed: the same immutable tensor object the first rank
   * made (each rank frees what it holds when the run ends; a second dispose is a no-op).
   */
  take(cid: number): tf.Tensor | undefined {
    const v = this.values.get(cid);
    if (!v || v.isDisposed) return undefined;
    this.hits++;
    return v;
  }

  put(cid: number, value: tf.Tensor): void {
    if (!this.values.has(cid)) this.values.set(cid, value);
  }

  dispose(): void {
    this.values.clear();
    this.ids.clear();
  }
}
