/**
 * Per-rank memory from tensor lifetimes. A tensor is live from the op that made it until the last
 * op that reads it — in the forward pass, or in the backward pass when an op saved it for its
 * gradient. Parameters and their gradients are pinned (live to the end). Peak = the largest sum of
 * live bytes at any op. This is how a caching allocator sees a training step, without the
 * fragmentation.
 */
export interface MemoryReport {
  readonly peakBytes: number;
  /** Pinned bytes (parameters, gradients, anything marked persistent). */
  readonly persistentBytes: number;
  /** Peak minus persistent: activations and temporaries. */
  readonly peakTransientBytes: number;
  readonly tensors: number;
}

export class MemoryTracker {
  private born: number[] = [];
  private last: number[] = [];
  private bytes: number[] = [];
  private pinned: boolean[] = [];
  private clock = 0;

  /**
   * The step starts here: forget every tensor recorded so far except `keep` (memory indices,
   * e.g. the parameters of the parallelized model), which become pinned.
   */
  reset(keep: Iterable<number>): void {
    const k = new Set(keep);
    for (let i = 0; i < this.bytes.length; i++) {
      if (k.has(i)) this.pinned[i] = true;
      else this.bytes[i] = 0;
    }
  }

  /** Advance the op counter; returns the new op index. */
  tick(): number {
    return ++this.clock;
  }

  alloc(bytes: number, pinned = false): number {
    const i = this.bytes.length;
    this.born.push(this.clock);
    this.last.push(this.clock);
    this.bytes.push(bytes);
    this.pinned.push(pinned);
    return i;
  }

  use(index: number): void {
    if (index >= 0 && this.last[index] < this.clock) this.last[index] = this.clock;
  }

  pin(index: number): void {
    if (index >= 0) this.pinned[index] = true;
  }

  /** A pinned tensor is let go now (an accumulated gradient replaced by the new sum). */
  release(index: number): void {
    if (index < 0) return;
    this.pinned[index] = false;
    if (this.last[index] < this.clock) this.last[index] = this.clock;
  }

  report(): MemoryReport {
    const n = this.clock + 2;
    const delta = new Float64Array(n + 1);
    let persistent = 0;
    for (let i = 0; i < this.bytes.length; i++) {
      const b = this.bytes[i];
      if (this.pinned[i]) {
        persistent += b;
        continue;
      }
      delta[this.born[i]] += b;
      delta[this.last[i] + 1] -= b;
    }
    let live = 0;
    let peak = 0;
    for (let t = 0; t < n; t++) {
      live += delta[t];
      if (live > peak) peak = live;
    }
    return { peakBytes: peak + persistent, persistentBytes: persistent, peakTransientBytes: peak, tensors: this.bytes.length };
  }
}
