/**
 * Per-rank memory from tensor lifetimes. A tensor is live from the op that made it until the last
 * op that reads it — in the forward pass, or in the backward pass when an op saved it for its
 * gradient. Parameters and their gradients are pinned (live to the end). Peak = the largest sum of
 * live bytes at any op. This is how a caching allocator sees a training step, without the
 * fragmentation.
 */
export interface MemoryReport {
  readonly peakBytes: number;
  /** Pinned bytes (parameters, gradients, optimizer states, anything marked persistent). */
  readonly persistentBytes: number;
  /** Peak minus persistent: activations and temporaries. */
  readonly peakTransientBytes: number;
  readonly tensors: number;
}

/** What a stretch recorder hears (see segment.ts). */
export interface MemoryRecorder {
  tick(): void;
  alloc(bytes: number, pinned: boolean): void;
  use(index: number): void;
  pin(index: number): void;
  release(index: number): void;
}

export class MemoryTracker {
  // one slot per tensor, in typed arrays that double when full (a meta run records millions);
  // born and last are op indices (int32: a run has fewer than 2³¹ ops)
  private born = new Int32Array(64);
  private last = new Int32Array(64);
  private bytes = new Float64Array(64);
  private pinned = new Uint8Array(64);
  private n = 0;
  private clock = 0;
  /** Set while a stretch of the program is recorded for replay. */
  recorder: MemoryRecorder | null = null;

  /** Tensors recorded so far (the next memory index). */
  get size(): number {
    return this.n;
  }

  /**
   * The step starts here: forget every tensor recorded so far except `keep` (memory indices,
   * e.g. the parameters of the parallelized model), which become pinned.
   */
  reset(keep: Iterable<number>): void {
    const k = new Set(keep);
    for (let i = 0; i < this.n; i++) {
      if (k.has(i)) this.pinned[i] = 1;
      else this.bytes[i] = 0;
    }
  }

  /** Advance the op counter; returns the new op index. */
  tick(): number {
    this.recorder?.tick();
    return ++this.clock;
  }

  alloc(bytes: number, pinned = false): number {
    this.recorder?.alloc(bytes, pinned);
    const i = this.n++;
    if (i === this.bytes.length) this.grow();
    // a slot past n is all zeros: `last` stays 0 until a use (report() reads it as born), and
    // `pinned` is written only when set
    this.born[i] = this.clock;
    this.bytes[i] = bytes;
    if (pinned) this.pinned[i] = 1;
    return i;
  }

  /** A tensor made by a new op: `tick()` then `alloc()`. */
  make(bytes: number, pinned = false): number {
    this.tick();
    return this.alloc(bytes, pinned);
  }

  /** A new op that reads the tensor at `index`: `tick()` then `use()`. */
  read(index: number): void {
    this.tick();
    this.use(index);
  }

  private grow(): void {
    const cap = this.bytes.length * 2;
    const born = new Int32Array(cap);
    const last = new Int32Array(cap);
    const bytes = new Float64Array(cap);
    const pinned = new Uint8Array(cap);
    born.set(this.born);
    last.set(this.last);
    bytes.set(this.bytes);
    pinned.set(this.pinned);
    this.born = born;
    this.last = last;
    this.bytes = bytes;
    this.pinned = pinned;
  }

  use(index: number): void {
    if (index < 0) return;
    this.recorder?.use(index);
    if (this.last[index] < this.clock) this.last[index] = this.clock;
  }

  pin(index: number): void {
    if (index < 0) return;
    this.recorder?.pin(index);
    this.pinned[index] = 1;
  }

  /** A pinned tensor is let go now (an accumulated gradient replaced by the new sum). */
  release(index: number): void {
    if (index < 0) return;
    this.recorder?.release(index);
    this.pinned[index] = 0;
    if (this.last[index] < this.clock) this.last[index] = this.clock;
  }

  /**
   * Peak live bytes, by allocation rather than by op: live bytes rise only where a tensor is
   * born, so the peak is at a birth. A tensor counts from its own slot until the first later
   * slot born after its last use (births are in op order: a search forward from its slot, which
   * is short for the usual short-lived tensor). One pass over the slots and an array as long as
   * they are, however many ops the run had.
   */
  report(): MemoryReport {
    const n = this.n;
    const gone = new Float64Array(n + 1); // bytes that stop being live at slot i
    const { born, last, bytes, pinned } = this;
    let persistent = 0;
    let live = 0;
    let peak = 0;
    for (let i = 0; i < n; i++) {
      const b = bytes[i];
      if (pinned[i]) persistent += b;
      else {
        const from = born[i];
        const to = last[i];
        gone[firstBornAfter(born, n, i + 1, to > from ? to : from)] += b;
        live += b;
      }
      live -= gone[i];
      if (live > peak) peak = live;
    }
    return { peakBytes: peak + persistent, persistentBytes: persistent, peakTransientBytes: peak, tensors: n };
  }
}

/** The first slot at or after `i` born after op `t` (`n` if none): a gallop, then a bisection. */
function firstBornAfter(born: Int32Array, n: number, i: number, t: number): number {
  if (i >= n || born[i] > t) return i;
  // born[lo] <= t < born[hi] (hi = n: past the end)
  let lo = i;
  let step = 1;
  let hi = lo + step;
  while (hi < n && born[hi] <= t) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  if (hi > n) hi = n;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (born[mid] <= t) lo = mid;
    else hi = mid;
  }
  return hi;
}
