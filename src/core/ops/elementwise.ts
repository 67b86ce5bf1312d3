import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, sameShape } from './check.js';
import { broadcastData, sumToShape } from './reduce.js';
import { notATensor, SimError } from '../errors.js';

/**
 * Elementwise ops with NumPy broadcasting. Backward of a broadcast input sums the gradient over
 * the broadcast dims (sumToShape).
 */
type Bin = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

type Lazy = () => Tensor;

const isTensor = (x: unknown): x is Tensor => typeof x === 'object' && x !== null && Array.isArray((x as Tensor).shape) && typeof (x as Tensor).ctx === 'object';

/** `ops.mul(x, 0)`: a number (or a forgotten await's Promise) where a tensor goes, at the person's line. */
function operandError(name: string, a: unknown, b: unknown): Error {
  const t = isTensor(a) ? a : isTensor(b) ? b : undefined;
  const bad = isTensor(a) ? b : a;
  const err = notATensor(bad, t?.ctx.rank ?? 0, `ops.${name}`, t?.ctx.source(true));
  if (typeof bad !== 'number' || !t) return err;
  const fix = name === 'mul' || name === 'div' ? `ops.scale(x, ${name === 'mul' ? bad : `1 / ${bad}`})` : name === 'add' || name === 'sub' ? `ops.addScalar(x, ${name === 'add' ? bad : -bad})` : 'a tensor of the same shape';
  return new SimError(err.kind, err.headline, { ranks: err.ranks, source: err.source, fix: `for a number use ${fix}; otherwise pass a tensor made on this rank` });
}

function binary(name: string, a: Tensor, b: Tensor, f: Bin, grads: (dy: Tensor) => [Lazy, Lazy], saves: 'inputs' | 'none' | readonly Tensor[] = 'inputs'): Tensor {
  if (!isTensor(a) || !isTensor(b)) throw operandError(name, a, b);
  const shape = broadcastShapes(a, b, name);
  return a.ctx.apply({
    name,
    inputs: [a, b],
    shape,
    dtype: a.dtype,
    flops: shape.reduce((p, d) => p * d, 1),
    key: '',
    saves,
    compute: () => f(a.data!, b.data!),
    backward: (dy) => {
      const [fa, fb] = grads(dy);
      // only the inputs that need a gradient get one (constants such as RoPE tables do not)
      const ga = a.requiresGrad ? fa() : null;
      const gb = b.requiresGrad ? fb() : null;
      return [ga && !sameShape(ga.shape, a.shape) ? sumToShape(ga, a.shape) : ga, gb && !sameShape(gb.shape, b.shape) ? sumToShape(gb, b.shape) : gb];
    },
  });
}

export function add(a: Tensor, b: Tensor): Tensor {
  return binary('add', a, b, tf.add, (dy) => [() => dy, () => dy], 'none');
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return binary('sub', a, b, tf.sub, (dy) => [() => dy, () => neg(dy)], 'none');
}

export function mul(a: Tensor, b: Tensor): Tensor {
  // a's gradient reads b, b's reads a: keep only what a needed gradient reads (x ⊙ a constant table keeps the table)
  const saves = a.requiresGrad ? (b.requiresGrad ? [a, b] : [b]) : [a];
  return binary('mul', a, b, tf.mul, (dy) => [() => mul(dy, b), () => mul(dy, a)], saves);
}

export function div(a: Tensor, b: Tensor): Tensor {
  // a's gradient reads b; b's reads a and b
  return binary('div', a, b, tf.div, (dy) => [() => div(dy, b), () => neg(div(mul(div(dy, b), a), b))], b.requiresGrad ? [a, b] : [b]);
}

function unary(name: string, x: Tensor, flopsPerElem: number, f: (t: tf.Tensor) => tf.Tensor, grad: (dy: Tensor) => Tensor, key = '', saves: 'inputs' | 'output' | 'none' = 'inputs'): Tensor {
  return x.ctx.apply({
    name,
    inputs: [x],
    shape: x.shape,
    dtype: x.dtype,
    flops: x.size * flopsPerElem,
    key,
    saves,
    compute: () => f(x.data!),
    backward: (dy) => [grad(dy)],
  });
}

export function neg(x: Tensor): Tensor {
  return unary('neg', x, 1, tf.neg, (dy) => neg(dy), '', 'none');
}

export function scale(x: Tensor, s: number): Tensor {
  return unary('scale', x, 1, (t) => tf.mul(t, s), (dy) => scale(dy, s), String(s), 'none');
}

export function addScalar(x: Tensor, s: number): Tensor {
  return unary('add_scalar', x, 1, (t) => tf.add(t, s), (dy) => dy, String(s), 'none');
}

export function square(x: Tensor): Tensor {
  return unary('square', x, 1, tf.square, (dy) => scale(mul(dy, x), 2));
}

export function exp(x: Tensor): Tensor {
  const y: Tensor = unary('exp', x, 4, tf.exp, (dy) => mul(dy, y), '', 'output');
  return y;
}

export function log(x: Tensor): Tensor {
  return unary('log', x, 4, tf.log, (dy) => div(dy, x));
}

export function sqrt(x: Tensor): Tensor {
  const y: Tensor = unary('sqrt', x, 4, tf.sqrt, (dy) => div(scale(dy, 0.5), y), '', 'output');
  return y;
}

/** 1/sqrt(x). */
export function rsqrt(x: Tensor): Tensor {
  const y: Tensor = unary('rsqrt', x, 4, tf.rsqrt, (dy) => scale(mul(dy, mul(y, mul(y, y))), -0.5), '', 'output');
  return y;
}

export function tanh(x: Tensor): Tensor {
  const y: Tensor = unary('tanh', x, 4, tf.tanh, (dy) => mul(dy, addScalar(neg(square(y)), 1)), '', 'output');
  return y;
}

export function sigmoid(x: Tensor): Tensor {
  const y: Tensor = unary('sigmoid', x, 4, tf.sigmoid, (dy) => mul(dy, mul(y, addScalar(neg(y), 1))), '', 'output');
  return y;
}

export function relu(x: Tensor): Tensor {
  return unary('relu', x, 1, tf.relu, (dy) => mul(dy, step(x)));
}

/** 1 where x > 0, else 0 (no gradient). */
export function step(x: Tensor): Tensor {
  return x.ctx.apply({ name: 'step', inputs: [x], shape: x.shape, dtype: x.dtype, flops: x.size, key: '', compute: () => tf.step(x.data!) });
}

/** x · sigmoid(x) (SiLU / swish, Llama's MLP activation). */
export function silu(x: Tensor): Tensor {
  // backward: one kernel, as PyTorch's silu_backward (reads dy and x, writes dx):
  // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))
  return unary('silu', x, 5, (t) => tf.tidy(() => tf.mul(t, tf.sigmoid(t))), (dy) =>
    x.ctx.apply({
      name: 'silu_grad',
      inputs: [dy, x],
      shape: x.shape,
      dtype: x.dtype,
      flops: x.size * 6,
      key: '',
      compute: () =>
        tf.tidy(() => {
          const t = x.data!;
          const sg = tf.sigmoid(t);
          return tf.mul(dy.data!, tf.mul(sg, tf.add(1, tf.mul(t, tf.sub(1, sg)))));
        }),
    }),
  );
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** x·x·x, as PyTorch's GELU kernel computes the cube (and several times cheaper than pow on WASM). */
const cube = (t: tf.Tensor) => tf.mul(tf.square(t), t);

/** v = 2·√(2/π)·(x + 0.044715·x³), so that gelu(x) = x·σ(v). */
const geluArg = (t: tf.Tensor) => tf.mul(2 * GELU_C, tf.add(t, tf.mul(0.044715, cube(t))));

/**
 * GELU, tanh approximation (GPT-2's "gelu_new", PyTorch's approximate="tanh"):
 *   0.5·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³)
 * computed as x·σ(2u) — the same function, since 0.5·(1 + tanh(u)) = σ(2u) — because
 * TensorFlow.js's WASM sigmoid is vectorised and its tanh is not (12× slower, measured).
 * Backward: d/dx = σ + x·σ·(1 − σ)·dv/dx,  dv/dx = 2·√(2/π)·(1 + 3·0.044715·x²).
 */
export function gelu(x: Tensor): Tensor {
  return unary(
    'gelu',
    x,
    8,
    (t) => tf.tidy(() => tf.mul(t, tf.sigmoid(geluArg(t)))),
    (dy) =>
      x.ctx.apply({
        name: 'gelu_grad',
        inputs: [dy, x],
        shape: x.shape,
        dtype: x.dtype,
        flops: x.size * 12,
        key: '',
        compute: () =>
          tf.tidy(() => {
            const t = x.data!;
            const s = tf.sigmoid(geluArg(t));
            const dv = tf.mul(2 * GELU_C, tf.add(1, tf.mul(3 * 0.044715, tf.square(t))));
            const d = tf.add(s, tf.mul(tf.mul(t, tf.mul(s, tf.sub(1, s))), dv));
            return tf.mul(dy.data!, d);
          }),
      }),
  );
}

/** Elementwise where(cond, a, b) with cond a bool/0-1 tensor broadcastable to a. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a, b, 'where');
  return a.ctx.apply({
    name: 'where',
    inputs: [a, b],
    shape,
    dtype: a.dtype,
    flops: shape.reduce((p, d) => p * d, 1),
    saves: [cond], // the gradient routes dy by cond alone
    compute: () => tf.tidy(() => tf.where(tf.cast(broadcastData(cond.data!, shape), 'bool'), broadcastData(a.data!, shape), broadcastData(b.data!, shape))),
    backward: (dy) => {
      const z = dy.ctx.zeros(dy.shape, dy.dtype);
      const ga = where(cond, dy, z);
      const gb = where(cond, z, dy);
      return [sameShape(ga.shape, a.shape) ? ga : sumToShape(ga, a.shape), sameShape(gb.shape, b.shape) ? gb : sumToShape(gb, b.shape)];
    },
  });
}
