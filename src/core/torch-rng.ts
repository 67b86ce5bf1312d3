/**
 * PyTorch's CPU random generator, draw for draw: an MT19937 engine (at::mt19937, seeded as
 * torch.manual_seed seeds it) and ATen's CPU transformations on top of it, so that a file that
 * seeds and draws (`torch.manual_seed(0); torch.randn(2, 3)`, an `nn.Linear`'s default init)
 * gets the values real torch gets on the CPU:
 *   random()    one 32-bit word;  random64()  two words, the first the high half
 *   uniform     float types: (word & (2^digits − 1)) · 2^−digits, then ·(to − from) + from in
 *               double (digits: float32 24, bfloat16 8, float16 11; float64 53 from random64)
 *   normal      a float32 tensor of ≥ 16 values: all uniforms first, then Box–Muller over blocks
 *               of 16 (u1 = 1 − data[j], u2 = data[j + 8]; the last 16 redrawn when 16 does not
 *               divide the size) in float32 with the log and sincos of avx_mathfun.h, as torch's
 *               AVX2 kernel (normal_fill_16_AVX2, any x86-64 CPU of the last decade); otherwise one double normal at a time (two random64 uniforms
 *               per pair, the pair's second value kept for the next draw)
 *   randint     word % range + low (random64 when the range needs more than 32 bits)
 *   randperm    arange, then swap i with i + random() % (n − i)
 *   bernoulli   a double uniform (53 bits) below p (torch's CPU kernel built without MKL, as
 *               Debian's; PyPI's x86 wheels draw dropout masks through MKL instead)
 * A draw's word count is known from its size, so a generator advances without values in meta
 * mode (`skip`), and values are computed only where they are read.
 */

const N = 624;
const M = 397;

/** MT19937 (Matsumoto & Nishimura), torch's at::mt19937: 32-bit words. */
export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 · prev + i, mod 2^32, in two 16-bit halves (no precision loss in doubles)
      mt[i] = (((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i) >>> 0;
    }
  }

  /** The next `out.length` words into `out`. */
  fill(out: Uint32Array): void {
    const mt = this.mt;
    for (let k = 0; k < out.length; k++) {
      if (this.index >= N) this.twist();
      let y = mt[this.index++];
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      out[k] = y >>> 0;
    }
  }

  next(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

const f = Math.fround;
const TWO_PI_F = f(2 * Math.PI);

/**
 * log256_ps of avx_mathfun.h (Cephes' logf in float32 steps), as torch's AVX2 normal kernel
 * computes it: the values of torch.randn on x86 to the last bit, where Math.log differs by an ulp.
 * `f(a * b + c)` is a fused multiply-add (the product is exact in a double): the compiler fuses
 * the intrinsics' multiplies and adds, and these are the pairs it fuses (found against torch 1.13
 * on x86-64: 5,300 of 5,300 values equal; any other pairing leaves 2–50 one-ulp differences).
 */
function log256(xIn: number): number {
  if (!(xIn > 0)) return NaN;
  const buf = new Float32Array(1);
  const bits = new Int32Array(buf.buffer);
  buf[0] = Math.max(xIn, 1.17549435e-38);
  let e = f(((bits[0] >>> 23) - 0x7f) + 1);
  bits[0] = (bits[0] & ~0x7f800000) | 0x3f000000; // the mantissa in [0.5, 1)
  let x = buf[0];
  const lt = x < f(0.707106781186547524);
  const tmp = lt ? x : 0;
  x = f(x - 1);
  e = f(e - (lt ? 1 : 0));
  x = f(x + tmp);
  const z = f(x * x);
  let y = f(7.0376836292e-2);
  for (const p of LOG_P) y = f(y * x + p);
  y = f(y * x);
  y = f(y * z + f(e * f(-2.12194440e-4)));
  y = f(y - z * 0.5);
  x = f(x + y);
  x = f(x + e * f(0.693359375));
  return x;
}
const LOG_P = [-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);

/** sincos256_ps of avx_mathfun.h (Cephes' sinf/cosf in float32 steps): [sin x, cos x]. */
function sincos256(xIn: number): [number, number] {
  const signSin = xIn < 0 || Object.is(xIn, -0) ? -1 : 1;
  let x = Math.abs(xIn);
  let j = Math.trunc(f(x * f(1.27323954473516)));
  j = (j + 1) & ~1;
  const y = f(j);
  const swapSin = (j & 4) !== 0;
  const polySin = (j & 2) !== 0; // the sine's polynomial for sin, the cosine's for cos
  x = f(x + y * f(-0.78515625));
  x = f(x + y * f(-2.4187564849853515625e-4));
  x = f(x + y * f(-3.77489497744594108e-8));
  const cosNeg = ((j - 2) & 4) !== 0 ? false : true; // andnot(j − 2, 4): the cosine's sign
  const z = f(x * x);
  let c = f(2.443315711809948e-5);
  c = f(c * z + f(-1.388731625493765e-3));
  c = f(c * z + f(4.166664568298827e-2));
  c = f(c * z);
  c = f(c * z - f(z * 0.5));
  c = f(c + 1);
  let s2 = f(-1.9515295891e-4);
  s2 = f(s2 * z + f(8.3321608736e-3));
  s2 = f(s2 * z + f(-1.6666654611e-1));
  s2 = f(s2 * z);
  s2 = f(s2 * x + x);
  const sinAbs = polySin ? c : s2;
  const cosAbs = polySin ? s2 : c;
  const sin = (swapSin ? -1 : 1) * signSin * sinAbs;
  const cos = cosNeg ? -cosAbs : cosAbs;
  return [sin, cos];
}

/** torch's default seed for a new torch.Generator() (default_rng_seed_val). */
export const TORCH_DEFAULT_SEED = 67280421310721;

const TWO32 = 4294967296;

/** The float dtypes' mantissa digits, as std::numeric_limits<T>::digits. */
function digitsOf(dtype: string): number {
  return dtype === 'bfloat16' ? 8 : dtype === 'float16' ? 11 : dtype === 'float64' ? 53 : 24;
}

/**
 * One torch.Generator on the CPU: its seed, how many 32-bit words it has handed out, and the
 * double normal kept for the next draw. Values come from an engine kept at the furthest position
 * read; a generator whose draws were skipped (meta mode) catches up on the next read.
 */
export class TorchGenerator {
  private seedValue = TORCH_DEFAULT_SEED;
  private engine: MT19937 | null = null;
  /** Words the engine has produced. */
  private at = 0;
  /** Words handed out (≥ at when draws were skipped). */
  private offset = 0;
  /** The second value of the last double normal pair (undefined: none; NaN: skipped, unknown). */
  private cachedNormal: number | undefined;

  constructor(seed: number = TORCH_DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    this.seedValue = seed;
    this.engine = null;
    this.at = 0;
    this.offset = 0;
    this.cachedNormal = undefined;
    return this;
  }

  initialSeed(): number {
    return this.seedValue;
  }

  /** Where the generator stands: (seed, words handed out, a pending double normal), for get_state. */
  state(): { seed: number; offset: number; cached: number | undefined } {
    return { seed: this.seedValue, offset: this.offset, cached: this.cachedNormal };
  }

  setState(s: { seed: number; offset: number; cached: number | undefined }): void {
    if (s.seed !== this.seedValue || s.offset < this.at) this.manualSeed(s.seed); // an engine past the point starts over
    this.offset = s.offset;
    this.cachedNormal = s.cached;
  }

  private word(): number {
    const e = this.ready();
    this.at++;
    this.offset++;
    return e.next();
  }

  /** The next `n` words at once (a draw's worth): the engine brought to its place, then filled in bulk. */
  private words(n: number): Uint32Array {
    const out = new Uint32Array(n);
    const e = this.ready();
    e.fill(out);
    this.at += n;
    this.offset += n;
    return out;
  }

  /** The engine, seeded and caught up with the words handed out (draws skipped in meta mode). */
  private ready(): MT19937 {
    if (!this.engine) {
      // torch seeds the engine with the low 32 bits of the seed
      this.engine = new MT19937(Number(BigInt.asUintN(32, BigInt(Math.trunc(this.seedValue)))));
      this.at = 0;
    }
    if (this.at < this.offset) {
      this.engine.fill(new Uint32Array(this.offset - this.at));
      this.at = this.offset;
    }
    return this.engine;
  }

  private random64(): bigint {
    const hi = this.word();
    const lo = this.word();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** uniform_real_distribution<T>: a value in [0, 1) with T's digits. */
  private unit(digits: number): number {
    if (digits > 32) return Number(this.random64() & ((1n << 53n) - 1n)) / 2 ** 53;
    return (this.word() & (2 ** digits - 1)) / 2 ** digits;
  }

  /** tensor.uniform_(from, to) / torch.rand: `n` values. */
  uniform(n: number, fromIn: number, toIn: number, dtype: string): Float64Array {
    const d = digitsOf(dtype);
    // the bounds are the tensor's scalar type (static_cast<scalar_t>), and so is their difference
    const from = d > 32 ? fromIn : f(fromIn);
    const to = d > 32 ? toIn : f(toIn);
    const span = d > 32 ? to - from : f(to - from);
    const out = new Float64Array(n);
    if (d > 32) {
      for (let i = 0; i < n; i++) out[i] = this.unit(d) * span + from;
      return out;
    }
    const w = this.words(n);
    const mask = 2 ** d - 1;
    const inv = 1 / 2 ** d;
    for (let i = 0; i < n; i++) out[i] = (w[i] & mask) * inv * span + from;
    return out;
  }

  /** tensor.normal_(mean, std) / torch.randn: `n` values of `dtype` (contiguous). */
  normal(n: number, meanIn: number, stdIn: number, dtype: string): Float64Array {
    const out = new Float64Array(n);
    if (dtype === 'float32' && n >= 16) {
      const mean = f(meanIn); // normal_fill takes them as float
      const std = f(stdIn);
      const data = new Float32Array(n);
      const w = this.words(n);
      for (let i = 0; i < n; i++) data[i] = (w[i] & 0xffffff) / 16777216;
      const fill16 = (base: number) => {
        for (let j = 0; j < 8; j++) {
          const u1 = f(1 - data[base + j]);
          const u2 = data[base + j + 8];
          const radius = f(Math.sqrt(f(-2 * log256(u1))));
          const theta = f(TWO_PI_F * u2);
          const [sin, cos] = sincos256(theta);
          data[base + j] = f(f(radius * cos) * std + mean); // fmadd: one rounding
          data[base + j + 8] = f(f(radius * sin) * std + mean);
        }
      };
      for (let i = 0; i + 16 <= n; i += 16) fill16(i);
      if (n % 16 !== 0) {
        const t = this.words(16);
        for (let j = 0; j < 16; j++) data[n - 16 + j] = (t[j] & 0xffffff) / 16777216;
        fill16(n - 16);
      }
      out.set(data);
      return out;
    }
    for (let i = 0; i < n; i++) out[i] = this.doubleNormal() * stdIn + meanIn;
    return out;
  }

  private doubleNormal(): number {
    if (this.cachedNormal !== undefined) {
      const v = this.cachedNormal;
      this.cachedNormal = undefined;
      return v;
    }
    const u1 = this.unit(53);
    const u2 = this.unit(53);
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** torch.randint(low, high, n): word % (high − low) + low. */
  randint(n: number, low: number, high: number): Float64Array {
    const range = high - low;
    const out = new Float64Array(n);
    if (range >= TWO32) {
      const r = BigInt(range);
      for (let i = 0; i < n; i++) out[i] = Number(this.random64() % r) + low;
    } else {
      for (let i = 0; i < n; i++) out[i] = (this.word() % range) + low;
    }
    return out;
  }

  /** tensor.bernoulli_(p): 1 where a double uniform (53 bits) is below p (torch's kernel without MKL). */
  bernoulli(n: number, p: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.unit(53) < p ? 1 : 0;
    return out;
  }

  /** torch.randperm(n). */
  randperm(n: number): Float64Array {
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = i;
    for (let i = 0; i < n - 1; i++) {
      const z = this.word() % (n - i);
      const s = r[i];
      r[i] = r[z + i];
      r[z + i] = s;
    }
    return r;
  }

  /**
   * Advance as the draw would, without values (meta mode). A double normal's kept value is
   * unknown afterwards (NaN), as every value of a meta run is.
   */
  skip(kind: 'uniform' | 'normal' | 'randint' | 'randperm' | 'bernoulli', n: number, dtype: string, range = 0): void {
    const perValue = kind === 'uniform' ? (digitsOf(dtype) > 32 ? 2 : 1) : kind === 'randint' ? (range >= TWO32 ? 2 : 1) : kind === 'bernoulli' ? 2 : 1;
    if (kind === 'normal' && !(dtype === 'float32' && n >= 16)) {
      let pending = this.cachedNormal !== undefined;
      let words = 0;
      for (let i = 0; i < n; i++) {
        if (pending) pending = false;
        else {
          words += 4;
          pending = true;
        }
      }
      this.offset += words;
      this.cachedNormal = pending ? NaN : undefined;
      return;
    }
    const extra = kind === 'normal' && n % 16 !== 0 ? 16 : 0;
    this.offset += kind === 'randperm' ? Math.max(0, n - 1) : n * perValue + extra;
  }
}
