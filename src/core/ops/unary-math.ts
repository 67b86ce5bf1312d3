import * as tf from '@tensorflow/tfjs-core';
import { isFloat, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, shapeError } from './check.js';
import { asStorage, cast } from './dtype-cast.js';
import { div } from './elementwise.js';
import { floatOf, kernel, promoteScalar, promoteTypes } from './kernel.js';
import { broadcastData, sumToShape } from './reduce.js';

/**
 * PyTorch's elementwise math beyond elementwise.ts: pow, sin, cos, abs, reciprocal, erf, log1p,
 * sign, clamp, minimum, maximum. Float-valued functions of an integer tensor return float32, as
 * in PyTorch. Each gradient is one kernel (autograd is off inside a backward).
 */

function unaryOp(name: string, x: Tensor, dtype: DType, flopsPer: number, f: (t: tf.Tensor) => tf.Tensor, grad: ((dy: Tensor, y: Tensor) => Tensor) | null, key = '', saves: 'inputs' | 'output' | 'none' = 'inputs'): Tensor {
  const y: Tensor = x.ctx.apply({
    name,
    inputs: [x],
    shape: x.shape,
    dtype,
    flops: x.size * flopsPer,
    key,
    saves,
    compute: () => tf.tidy(() => f(asStorage(x.data!, dtype))),
    backward: grad && isFloat(dtype) ? (dy) => [grad(dy, y)] : undefined,
  });
  return y;
}

/** dy · f'(x), as one kernel reading dy and x. */
function gradKernel(name: string, dy: Tensor, x: Tensor, flopsPer: number, dfdx: (x: tf.Tensor) => tf.Tensor, key = ''): Tensor {
  return kernel(name, [dy, x], dy.shape, dy.dtype, x.size * flopsPer, () => tf.tidy(() => tf.mul(dy.data!, dfdx(asStorage(x.data!, dy.dtype)))), key);
}

/** x ** e for a number e. Backward: dy · e · x^(e−1) (0 when e = 0). */
export function powScalar(x: Tensor, e: number): Tensor {
  const d = Number.isInteger(e) ? x.dtype : floatOf(x.dtype);
  if (!isFloat(x.dtype) && Number.isInteger(e) && e < 0) throw shapeError(x, `pow: integer tensor ${x.describe()} to a negative integer power ${e}`, 'cast the tensor to float first');
  return unaryOp('pow', x, d, 2, (t) => (e === 2 ? tf.square(t) : tf.pow(t, tf.scalar(e, t.dtype))), (dy) =>
    gradKernel('pow_grad', dy, x, 3, (t) => (e === 0 ? tf.zerosLike(t) : tf.mul(e, tf.pow(t, e - 1))), String(e)), String(e));
}

/** base ** x for a number base (PyTorch's `2 ** x`). Backward: dy · y · ln(base). */
export function rpowScalar(base: number, x: Tensor): Tensor {
  const d = floatOf(x.dtype);
  return unaryOp('pow_base', x, d, 2, (t) => tf.pow(tf.scalar(base), t), (dy, y) => kernel('pow_base_grad', [dy, y], dy.shape, dy.dtype, dy.size * 2, () => tf.mul(dy.data!, tf.mul(y.data!, Math.log(base))), String(base)), String(base), 'output');
}

/**
 * a ** b elementwise, broadcast. Backward: da = dy · b · a^(b−1) (0 where b = 0),
 * db = dy · a^b · ln a (0 where a = 0 and b ≥ 0), as PyTorch.
 */
export function pow(a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a, b, 'pow');
  const dtype = promoteTypes(a.dtype, b.dtype);
  return a.ctx.apply({
    name: 'pow',
    inputs: [a, b],
    shape,
    dtype,
    flops: 2 * shape.reduce((p, d) => p * d, 1),
    key: '',
    compute: () => tf.tidy(() => tf.pow(asStorage(a.data!, dtype), asStorage(b.data!, dtype))),
    backward: (dy) => {
      const da = a.requiresGrad
        ? sumToShape(kernel('pow_grad_base', [dy, a, b], shape, dy.dtype, 4 * dy.size, () =>
            tf.tidy(() => {
              const x = tf.cast(a.data!, 'float32');
              const e = tf.cast(b.data!, 'float32');
              const g = tf.mul(e, tf.pow(x, tf.sub(e, 1)));
              return tf.mul(dy.data!, tf.where(tf.equal(broadcastData(e, shape), 0), tf.zeros(shape), broadcastData(g, shape)));
            })), a.shape)
        : null;
      const db = b.requiresGrad
        ? sumToShape(kernel('pow_grad_exponent', [dy, a, b], shape, dy.dtype, 4 * dy.size, () =>
            tf.tidy(() => {
              const x = broadcastData(tf.cast(a.data!, 'float32'), shape);
              const e = broadcastData(tf.cast(b.data!, 'float32'), shape);
              const g = tf.mul(tf.pow(x, e), tf.log(x));
              return tf.mul(dy.data!, tf.where(tf.logicalAnd(tf.equal(x, 0), tf.greaterEqual(e, 0)), tf.zeros(shape), g));
            })), b.shape)
        : null;
      return [da, db];
    },
  });
}

export function sin(x: Tensor): Tensor {
  return unaryOp('sin', x, floatOf(x.dtype), 4, tf.sin, (dy) => gradKernel('sin_grad', dy, x, 4, tf.cos));
}

export function cos(x: Tensor): Tensor {
  return unaryOp('cos', x, floatOf(x.dtype), 4, tf.cos, (dy) => gradKernel('cos_grad', dy, x, 5, (t) => tf.neg(tf.sin(t))));
}

/** |x|. Backward: dy · sign(x) (0 at 0, as PyTorch). */
export function abs(x: Tensor): Tensor {
  return unaryOp('abs', x, x.dtype, 1, tf.abs, (dy) => gradKernel('abs_grad', dy, x, 1, tf.sign));
}

/** −1, 0 or 1 (no gradient: PyTorch's is zero). */
export function sign(x: Tensor): Tensor {
  return unaryOp('sign', x, x.dtype, 1, (t) => (t.dtype === 'bool' ? t.clone() : tf.sign(t)), null, '', 'none');
}

/** 1/x. Backward: −dy · y². */
export function reciprocal(x: Tensor): Tensor {
  return unaryOp('reciprocal', x, floatOf(x.dtype), 1, tf.reciprocal, (dy, y) => kernel('reciprocal_grad', [dy, y], dy.shape, dy.dtype, 3 * dy.size, () => tf.tidy(() => tf.neg(tf.mul(dy.data!, tf.square(y.data!))))), '', 'output');
}

/** The Gauss error function. Backward: dy · 2/√π · exp(−x²). */
export function erf(x: Tensor): Tensor {
  return unaryOp('erf', x, floatOf(x.dtype), 8, tf.erf, (dy) => gradKernel('erf_grad', dy, x, 4, (t) => tf.mul(2 / Math.sqrt(Math.PI), tf.exp(tf.neg(tf.square(t))))));
}

/**
 * erf⁻¹(x) on (−1, 1) (±∞ at ±1, NaN outside): Giles' single-precision approximation refined by
 * two Newton steps on erf (in double), as accurate as torch's. Backward: dy · √π/2 · exp(y²).
 */
export function erfinv(x: Tensor): Tensor {
  const kernelFn = (t: tf.Tensor) => tf.tensor(Float32Array.from(t.dataSync() as Float32Array, erfinvScalar), t.shape, 'float32');
  const out = unaryOp('erfinv', x, floatOf(x.dtype), 20, (t) => kernelFn(tf.cast(t, 'float32')), (dy) =>
    gradKernel('erfinv_grad', dy, out, 4, (y) => tf.mul(Math.sqrt(Math.PI) / 2, tf.exp(tf.square(y)))));
  return out;
}

function erfScalar(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for Newton: use the series / continued fraction split
  const t = Math.abs(x);
  if (t < 2.5) {
    // Taylor series: erf x = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let sum = 0;
    let term = t;
    for (let n = 0; n < 80; n++) {
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
      term *= (-t * t) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // continued fraction for erfc at large |x|
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
}

function erfinvScalar(x: number): number {
  if (Number.isNaN(x) || x < -1 || x > 1) return NaN;
  if (x === 1) return Infinity;
  if (x === -1) return -Infinity;
  const w0 = -Math.log((1 - x) * (1 + x));
  let y: number;
  if (w0 < 5) {
    const w = w0 - 2.5;
    let p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
    y = p * x;
  } else {
    const w = Math.sqrt(w0) - 3;
    let p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
    y = p * x;
  }
  for (let i = 0; i < 2; i++) y -= (erfScalar(y) - x) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-y * y));
  return y;
}

/** ln(1 + x). Backward: dy / (1 + x). */
export function log1p(x: Tensor): Tensor {
  return unaryOp('log1p', x, floatOf(x.dtype), 4, tf.log1p, (dy) => gradKernel('log1p_grad', dy, x, 2, (t) => tf.reciprocal(tf.add(t, 1))));
}

/**
 * clamp(x, min, max) (either bound may be omitted; min > max gives max everywhere, as PyTorch).
 * Backward: dy where min ≤ x ≤ max, else 0.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (min == null && max == null) throw shapeError(x, 'clamp: give at least one of min and max');
  const dtype = !isFloat(x.dtype) && ((!Number.isInteger(lo) && isFinite(lo)) || (!Number.isInteger(hi) && isFinite(hi))) ? 'float32' : x.dtype;
  return unaryOp(
    'clamp',
    x,
    dtype,
    2,
    (t) => {
      let y = t;
      if (min != null) y = tf.maximum(y, tf.scalar(lo, t.dtype));
      if (max != null) y = tf.minimum(y, tf.scalar(hi, t.dtype));
      return y === t ? t.clone() : y;
    },
    (dy) => gradKernel('clamp_grad', dy, x, 2, (t) => tf.cast(tf.logicalAnd(tf.greaterEqual(t, lo), tf.lessEqual(t, hi)), 'float32'), `${lo},${hi}`),
    `${lo},${hi}`,
  );
}

function minMax(name: 'minimum' | 'maximum', a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a, b, name);
  const dtype = promoteTypes(a.dtype, b.dtype);
  const pick = name === 'maximum' ? tf.maximum : tf.minimum;
  const wins = name === 'maximum' ? tf.greater : tf.less;
  /** dy · (1 where this side wins, ½ on ties, 0 where it loses), PyTorch's split of a tie. */
  // (the key names the side: both sides' kernels read the same [dy, a, b])
  const grad = (dy: Tensor, self: Tensor, other: Tensor) =>
    sumToShape(kernel(`${name}_grad`, [dy, a, b], shape, dy.dtype, 3 * dy.size, () =>
      tf.tidy(() => {
        const s = broadcastData(tf.cast(self.data!, 'float32'), shape);
        const o = broadcastData(tf.cast(other.data!, 'float32'), shape);
        const w = tf.add(tf.cast(wins(s, o), 'float32'), tf.mul(0.5, tf.cast(tf.equal(s, o), 'float32')));
        return tf.mul(dy.data!, w);
      }), self === a ? 'a' : 'b'), self.shape);
  return a.ctx.apply({
    name,
    inputs: [a, b],
    shape,
    dtype,
    flops: shape.reduce((p, d) => p * d, 1),
    key: '',
    compute: () => tf.tidy(() => pick(asStorage(a.data!, dtype), asStorage(b.data!, dtype))),
    backward: isFloat(dtype) ? (dy) => [a.requiresGrad ? grad(dy, a, b) : null, b.requiresGrad ? grad(dy, b, a) : null] : undefined,
  });
}

/** Elementwise min of two tensors, broadcast. Backward: dy to the smaller (half each on a tie). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return minMax('minimum', a, b);
}

/** Elementwise max of two tensors, broadcast. Backward: dy to the larger (half each on a tie). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return minMax('maximum', a, b);
}


function rounding(name: string, x: Tensor, f: (t: tf.Tensor) => tf.Tensor): Tensor {
  // no gradient: PyTorch's is zero everywhere
  return unaryOp(name, x, x.dtype, 1, (t) => (isFloat(x.dtype) ? f(t) : t.clone()), null, '', 'none');
}

/** Largest integer ≤ x (integers unchanged). No gradient. */
export function floor(x: Tensor): Tensor {
  return rounding('floor', x, tf.floor);
}

/** Smallest integer ≥ x. No gradient. */
export function ceil(x: Tensor): Tensor {
  return rounding('ceil', x, tf.ceil);
}

/** Nearest integer, halves to even (as torch.round). No gradient. */
export function round(x: Tensor): Tensor {
  return rounding('round', x, tf.round);
}

/** Toward zero. No gradient. */
export function trunc(x: Tensor): Tensor {
  return rounding('trunc', x, (t) => tf.tidy(() => tf.where(tf.less(t, 0), tf.ceil(t), tf.floor(t))));
}

function intBinary(name: string, a: Tensor, b: Tensor | number, f: (p: tf.Tensor, q: tf.Tensor) => tf.Tensor): Tensor {
  if (typeof b === 'number') {
    const dtype = promoteScalar(a.dtype, b);
    return a.ctx.apply({ name, inputs: [a], shape: a.shape, dtype, flops: a.size, key: String(b), saves: 'none', compute: () => tf.tidy(() => f(asStorage(a.data!, dtype), tf.scalar(b, asStorage(a.data!, dtype).dtype))) });
  }
  const shape = broadcastShapes(a, b, name);
  const dtype = promoteTypes(a.dtype, b.dtype);
  return a.ctx.apply({ name, inputs: [a, b], shape, dtype, flops: shape.reduce((p, d) => p * d, 1), key: '', saves: 'none', compute: () => tf.tidy(() => f(asStorage(a.data!, dtype), asStorage(b.data!, dtype))) });
}

/** a // b: floor(a / b) (PyTorch's floor_divide and Python's //). No gradient. */
export function floorDivide(a: Tensor, b: Tensor | number): Tensor {
  return intBinary('floor_divide', a, b, (p, q) => (p.dtype === 'int32' ? tf.floorDiv(p, q) : tf.floor(tf.div(p, q))));
}

/** a % b with the divisor's sign (PyTorch's remainder and Python's %). No gradient. */
export function remainder(a: Tensor, b: Tensor | number): Tensor {
  return intBinary('remainder', a, b, (p, q) => tf.mod(p, q));
}

/**
 * a / b with PyTorch's true division: integer operands are divided as floats (elementwise.ts's
 * div keeps a's dtype, and TensorFlow.js floors an int32 division). Backward: div's.
 */
export function trueDivide(a: Tensor, b: Tensor): Tensor {
  const dtype = floatOf(promoteTypes(a.dtype, b.dtype));
  return div(cast(a, dtype), cast(b, dtype));
}
