/**
 * Deterministic, backend-independent random numbers: the same seed gives the same weights in
 * the sharded run, the unsharded reference, numeric and meta mode, on WASM and on CPU.
 * Generator: SplitMix32-seeded xoshiro128** with Box–Muller normals.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * `out[i] = mean + std · normal()` for every i: the same numbers as calling normal() in a loop
   * (the pending spare first, a new spare kept when `out` ends mid-pair), with the generator's
   * state in locals and both normals of a Box–Muller pair used in place.
   */
  fillNormal(out: Float32Array, std = 1, mean = 0): Float32Array {
    const n = out.length;
    let i = 0;
    if (n > 0 && this.spare !== undefined) {
      out[i++] = mean + std * this.spare;
      this.spare = undefined;
    }
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    while (i < n) {
      let u = 0;
      let v = 0;
      for (let k = 0; k < 2; k++) {
        const r = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
        const t = (s1 << 9) >>> 0;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 11);
        if (k === 0) {
          u = r / 4294967296;
          if (u === 0) k = -1; // as normal(): draw u again
        } else v = r / 4294967296;
      }
      const rad = Math.sqrt(-2 * Math.log(u));
      out[i++] = mean + std * (rad * Math.cos(2 * Math.PI * v));
      const spare = rad * Math.sin(2 * Math.PI * v);
      if (i < n) out[i++] = mean + std * spare;
      else this.spare = spare;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  /** Integers in [0, n). */
  fillInt(out: Int32Array, n: number): Int32Array {
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(this.uniform() * n);
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A child seed derived from a parent seed and a string key (e.g. a parameter name). */
export function deriveSeed(seed: number, key: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const remembered = new Map<string, Float32Array>();
let rememberedBytes = 0;
const REMEMBER_BYTES = 128 * 2 ** 20;

/** One array larger than this is drawn but not remembered. */
const rememberable = (bytes: number) => bytes <= REMEMBER_BYTES / 2;

/** Whether arrays of these lengths (float32) would all be remembered by seededNormals together. */
export function canRemember(lengths: readonly number[]): boolean {
  let total = 0;
  for (const n of lengths) {
    if (!rememberable(4 * n)) return false;
    total += 4 * n;
  }
  return total <= REMEMBER_BYTES;
}

/**
 * `n` values `mean + std · normal()` of the stream `seed`, remembered: the unsharded reference and
 * the sharded run draw the same seeded batch, each in its own simulation, and the runner draws a
 * checkpoint's values ahead (WeightStore.warm). The most recent arrays are kept, up to 128 MiB
 * (least recently used first out; none above 64 MiB). Callers must not modify the array.
 */
export function seededNormals(seed: number, n: number, std = 1, mean = 0): Float32Array {
  const key = `${seed}|${n}|${std}|${mean}`;
  const hit = remembered.get(key);
  if (hit) {
    remembered.delete(key); // most recent last
    remembered.set(key, hit);
    return hit;
  }
  const out = new Rng(seed).fillNormal(new Float32Array(n), std, mean);
  if (!rememberable(out.byteLength)) return out;
  remembered.set(key, out);
  rememberedBytes += out.byteLength;
  for (const [k, v] of remembered) {
    if (rememberedBytes <= REMEMBER_BYTES) break;
    remembered.delete(k);
    rememberedBytes -= v.byteLength;
  }
  return out;
}
