/**
 * Compact storage for the run's logs (ledger-log.ts, trace-log.ts): fixed-width numeric records
 * in typed-array chunks that are added, never copied, as the table grows, and an interner that
 * turns the references a record holds (a kind, a phase, a module path) into small numbers —
 * millions of records cost no object each, nothing for the garbage collector to trace, and as
 * few fresh bytes as their fields need.
 */

/** Records per chunk (a power of two); a table starts with a small first chunk. */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
const FIRST = 64;

/**
 * Records of `floats` float64 and `ints` int32 fields. `add()` appends one (all zeros) and
 * points `f`/`fo` and `i`/`io` at its fields, to be written as `f[fo + k]` and `i[io + k]`;
 * `float(r, k)` and `int(r, k)` read them back.
 */
export class RecordTable {
  private readonly fchunks: Float64Array[];
  private readonly ichunks: Int32Array[];
  /** The last record's float fields start at f[fo], its int fields at i[io]. */
  f: Float64Array;
  fo = 0;
  i: Int32Array;
  io = 0;
  /** Records before the current chunk, room in it, and records in all. */
  private base = 0;
  private cap = FIRST;
  private n = 0;

  constructor(
    readonly floats: number,
    readonly ints: number,
  ) {
    this.f = new Float64Array(FIRST * floats);
    this.i = new Int32Array(FIRST * ints);
    this.fchunks = [this.f];
    this.ichunks = [this.i];
  }

  get length(): number {
    return this.n;
  }

  /** Append a record; returns its index. */
  add(): number {
    const r = this.n;
    let k = r - this.base;
    if (k === this.cap) k = this.next(k);
    this.fo = k * this.floats;
    this.io = k * this.ints;
    this.n = r + 1;
    return r;
  }

  float(r: number, field: number): number {
    return this.fchunks[r >>> CHUNK_BITS][(r & MASK) * this.floats + field];
  }

  int(r: number, field: number): number {
    return this.ichunks[r >>> CHUNK_BITS][(r & MASK) * this.ints + field];
  }

  /** Room for record `k` of the full current chunk; returns its place in the (new) current chunk. */
  private next(k: number): number {
    if (this.cap < CHUNK) {
      // only the first chunk is smaller than a full one: it grows in place
      const f = new Float64Array(CHUNK * this.floats);
      const i = new Int32Array(CHUNK * this.ints);
      f.set(this.f);
      i.set(this.i);
      this.fchunks[0] = this.f = f;
      this.ichunks[0] = this.i = i;
      this.cap = CHUNK;
      return k;
    }
    this.base += CHUNK;
    this.f = new Float64Array(CHUNK * this.floats);
    this.i = new Int32Array(CHUNK * this.ints);
    this.fchunks.push(this.f);
    this.ichunks.push(this.i);
    return 0;
  }
}

/**
 * Numbers for references that repeat (strings, objects, undefined): each distinct value is
 * kept once. A run of equal values (the usual case) is numbered without a lookup.
 */
export class Interner<T> {
  private readonly values: T[] = [];
  private readonly index = new Map<T, number>();
  private last: T | undefined = undefined;
  private lastId = -1;

  /** The number of `v`. */
  id(v: T): number {
    if (v === this.last && this.lastId >= 0) return this.lastId;
    let id = this.index.get(v);
    if (id === undefined) {
      id = this.values.push(v) - 1;
      this.index.set(v, id);
    }
    this.last = v;
    this.lastId = id;
    return id;
  }

  /** The value numbered `id`. */
  value(id: number): T {
    return this.values[id];
  }
}
