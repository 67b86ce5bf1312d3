import assert from 'node:assert/strict';
import { simulate, ops, isFloat, type DType, type RankContext, type Tensor } from '../../../src/core/index.js';

/**
 * A check for one op against an independent dense reference: `ref` computes the outputs with
 * plain JS loops (float64) from the same input values; the gradient of AutoDist's backward is
 * compared with central finite differences of `ref` (float64, so truncation error ~ eps²), for
 * the loss Σ_k Σ y_k ⊙ w_k with random w. The meta run checks output shapes, dtypes and that
 * backward runs on shapes only.
 */

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export interface In {
  readonly shape: number[];
  /** default float32 (differentiated); int64 / int32 / bool inputs are constants. */
  readonly dtype?: DType;
  readonly values?: number[];
  /** for floats: normal-ish (default), bounded away from 0, positive; for ints: [0, ints). */
  readonly kind?: 'normal' | 'nonzero' | 'positive';
  readonly ints?: number;
  /** false: a float constant (no gradient). */
  readonly grad?: boolean;
}

export interface OpCase {
  readonly inputs: readonly In[];
  readonly sim: (xs: Tensor[], ctx: RankContext) => Tensor | Tensor[];
  /** The outputs, flat, from the inputs' flat values. */
  readonly ref: (xs: number[][]) => number[] | number[][];
  readonly shapes: number[][];
  readonly dtypes: DType[];
  readonly tol?: number;
  /** Skip the finite-difference check (non-smooth op checked by hand elsewhere). */
  readonly noGrad?: boolean;
}

const many = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

export function makeValues(inputs: readonly In[], seed: number): number[][] {
  const r = prng(seed);
  return inputs.map((inp) => {
    if (inp.values) return [...inp.values];
    const n = prod(inp.shape);
    const d = inp.dtype ?? 'float32';
    return Array.from({ length: n }, () => {
      if (d === 'bool') return r() < 0.5 ? 1 : 0;
      if (!isFloat(d)) return Math.floor(r() * (inp.ints ?? 10));
      const u = 2 * r() - 1;
      if (inp.kind === 'nonzero') return Math.fround(Math.sign(u || 1) * (0.5 + Math.abs(u)));
      if (inp.kind === 'positive') return Math.fround(0.2 + Math.abs(u));
      return Math.fround(1.5 * u);
    });
  });
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i])) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (!Number.isFinite(e) || Number.isNaN(e)) {
      assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${what}[${i}]: expected ${e}, got ${a}`);
      continue;
    }
    const t = tol * Math.abs(e) + tol * 0.1 * scale;
    assert.ok(Math.abs(a - e) <= t, `${what}[${i}]: expected ${e}, got ${a} (tol ${t})`);
  }
}

interface Got {
  ys: number[][];
  shapes: number[][];
  dtypes: DType[];
  grads: (number[] | null)[];
  ws: number[][];
}

const isDiff = (inp: In) => isFloat(inp.dtype ?? 'float32') && inp.grad !== false;

/** The inputs; with `shared`, described by content, so ranks holding the same ones share ops (share.ts). */
function build(ctx: RankContext, inputs: readonly In[], values: number[][], shared = false): Tensor[] {
  return inputs.map((inp, i) => {
    const t = ctx.tensor(values[i], inp.shape, inp.dtype ?? 'float32', shared ? `harness-input-${i}` : undefined);
    return isDiff(inp) ? ctx.param(t, `x${i}`) : t;
  });
}

/** Σ_k sum(y_k ⊙ w_k) over the float outputs that need a gradient. */
function lossOf(ctx: RankContext, ys: Tensor[], ws: number[][]): Tensor | null {
  let loss: Tensor | null = null;
  ys.forEach((y, k) => {
    if (!y.requiresGrad) return;
    const term = ops.sum(ops.mul(y, ctx.tensor(ws[k], y.shape, y.dtype, `harness-w-${k}`)));
    loss = loss ? ops.add(loss, term) : term;
  });
  return loss;
}

export async function checkOp(c: OpCase, seed = 7): Promise<void> {
  const values = makeValues(c.inputs, seed);
  const wr = prng(seed + 1000);
  const ws = c.shapes.map((s) => Array.from({ length: prod(s) }, () => Math.fround(2 * wr() - 1)));

  // --- numeric, one rank
  const res = await simulate({ mesh: { tp: 1 } }, async (ctx): Promise<Got> => {
    const xs = build(ctx, c.inputs, values);
    const ys = many(c.sim(xs, ctx));
    const loss = lossOf(ctx, ys, ws);
    if (loss) await ctx.backward(loss);
    return {
      ys: await Promise.all(ys.map(async (y) => Array.from(await y.values()))),
      shapes: ys.map((y) => [...y.shape]),
      dtypes: ys.map((y) => y.dtype),
      grads: await Promise.all(xs.map(async (x) => (x.grad ? Array.from(await x.grad.values()) : null))),
      ws,
    };
  });
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  const got = res.returns[0] as Got;
  assert.deepEqual(got.shapes, c.shapes, 'output shapes');
  assert.deepEqual(got.dtypes, c.dtypes, 'output dtypes');
  const refs: number[][] = Array.isArray((c.ref(values) as unknown[])[0]) ? (c.ref(values) as number[][]) : [c.ref(values) as number[]];
  refs.forEach((r, k) => assertClose(got.ys[k], r, `output ${k}`, c.tol));

  // --- two ranks with the same inputs: replicated ops are computed once (share.ts), so an op
  // whose key leaves out an attribute would hand one rank another op's values
  const two = await simulate({ mesh: { dp: 2 } }, async (ctx): Promise<Got> => {
    const xs = build(ctx, c.inputs, values, true);
    const ys = many(c.sim(xs, ctx));
    const loss = lossOf(ctx, ys, ws);
    if (loss) await ctx.backward(loss);
    return {
      ys: await Promise.all(ys.map(async (y) => Array.from(await y.values()))),
      shapes: ys.map((y) => [...y.shape]),
      dtypes: ys.map((y) => y.dtype),
      grads: await Promise.all(xs.map(async (x) => (x.grad ? Array.from(await x.grad.values()) : null))),
      ws,
    };
  });
  assert.equal(two.ok, true, two.errors.map((e) => e.message).join('\n'));
  for (const r of two.returns as Got[]) {
    assert.deepEqual(r.ys, got.ys, 'outputs on two ranks sharing replicated ops');
    assert.deepEqual(r.grads, got.grads, 'gradients on two ranks sharing replicated ops');
  }

  // --- gradients against finite differences of the reference
  const floatOut = c.dtypes.map((d) => isFloat(d));
  if (!c.noGrad && floatOut.some(Boolean)) {
    const loss = (vs: number[][]): number => {
      const r = c.ref(vs);
      const outs: number[][] = Array.isArray((r as unknown[])[0]) ? (r as number[][]) : [r as number[]];
      let l = 0;
      outs.forEach((o, k) => {
        if (floatOut[k]) for (let j = 0; j < o.length; j++) l += o[j] * ws[k][j];
      });
      return l;
    };
    c.inputs.forEach((inp, i) => {
      if (!isDiff(inp)) return;
      const eps = 1e-3;
      const fd = values[i].map((_, j) => {
        const up = values.map((v) => [...v]);
        const dn = values.map((v) => [...v]);
        up[i][j] += eps;
        dn[i][j] -= eps;
        return (loss(up) - loss(dn)) / (2 * eps);
      });
      const g = got.grads[i];
      if (g === null) {
        assert.ok(fd.every((v) => Math.abs(v) < 1e-6), `input ${i} has no gradient but finite differences are non-zero`);
        return;
      }
      assertClose(g, fd, `d input ${i}`, c.tol ?? 1e-3);
    });
  }

  // --- meta mode: same shapes and dtypes, backward on shapes only
  const meta = await simulate({ mesh: { tp: 1 }, mode: 'meta' }, async (ctx) => {
    const xs = build(ctx, c.inputs, values);
    const ys = many(c.sim(xs, ctx));
    const loss = lossOf(ctx, ys, ws);
    if (loss) await ctx.backward(loss);
    return { shapes: ys.map((y) => [...y.shape]), dtypes: ys.map((y) => y.dtype), meta: ys.every((y) => y.isMeta), grads: xs.map((x) => (x.grad ? [...x.grad.shape] : null)) };
  });
  assert.equal(meta.ok, true, meta.errors.map((e) => e.message).join('\n'));
  const m = meta.returns[0] as { shapes: number[][]; dtypes: DType[]; meta: boolean; grads: (number[] | null)[] };
  assert.deepEqual(m.shapes, c.shapes, 'meta output shapes');
  assert.deepEqual(m.dtypes, c.dtypes, 'meta output dtypes');
  assert.ok(m.meta, 'meta outputs hold no values');
  m.grads.forEach((g, i) => {
    if (g) assert.deepEqual(g, c.inputs[i].shape, `meta gradient ${i} shape`);
  });
  got.grads.forEach((g, i) => {
    if (g) assert.ok(m.grads[i] !== null, `meta run has a gradient for input ${i}`);
  });
}

/** Run `fn` on one numeric rank and return what it returns (failing the test on a run error). */
export async function run1<R>(fn: (ctx: RankContext) => Promise<R> | R, mode: 'numeric' | 'meta' = 'numeric'): Promise<R> {
  const res = await simulate({ mesh: { tp: 1 }, mode }, fn);
  assert.equal(res.ok, true, res.errors.map((e) => e.message).join('\n'));
  return res.returns[0] as R;
}

/** The error message of a run that must fail. */
export async function runError(fn: (ctx: RankContext) => unknown): Promise<string> {
  const res = await simulate({ mesh: { tp: 1 } }, fn);
  assert.equal(res.ok, false, 'the run should fail');
  return res.errors.map((e) => `${e.message} ${e.fix ?? ''}`).join('\n');
}

// ------------------------------------------------------------------ dense index helpers

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i];
  }
  return s;
}

export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let k = 0; k < shape.length; k++) i = i * shape[k] + idx[k];
  return i;
}

/** The value of x (flat, shape xs) broadcast to `shape` at the flat output index i. */
export function bcast(x: readonly number[], xs: readonly number[], shape: readonly number[], i: number): number {
  const idx = unravel(i, shape);
  const lead = shape.length - xs.length;
  const own = xs.map((d, k) => (d === 1 ? 0 : idx[lead + k]));
  return x[ravel(own, xs)];
}

/** An elementwise reference over the broadcast of the inputs' shapes. */
export function elementwise(shapes: readonly (readonly number[])[], out: readonly number[], f: (...v: number[]) => number): (xs: number[][]) => number[] {
  return (xs) => Array.from({ length: prod(out) }, (_, i) => f(...xs.map((x, k) => bcast(x, shapes[k], out, i))));
}

/** A reduction reference: f over the elements of each group that shares the kept dims. */
export function reduceRef(shape: readonly number[], dims: readonly number[], f: (vals: number[]) => number): (x: number[]) => number[] {
  const keptShape = shape.map((s, i) => (dims.includes(i) ? 1 : s));
  return (x) => {
    const groups: number[][] = Array.from({ length: prod(keptShape) }, () => []);
    for (let i = 0; i < x.length; i++) {
      const idx = unravel(i, shape).map((v, k) => (dims.includes(k) ? 0 : v));
      groups[ravel(idx, keptShape)].push(x[i]);
    }
    return groups.map(f);
  };
}

/** Dense reference of an op that maps each output index to an input index (or a constant). */
export function pick(outShape: number[], inShape: number[], at: (idx: number[]) => number[] | null, fill = 0): (x: number[]) => number[] {
  return (x) =>
    Array.from({ length: prod(outShape) }, (_, i) => {
      const src = at(unravel(i, outShape));
      return src === null ? fill : x[ravel(src, inShape)];
    });
}
