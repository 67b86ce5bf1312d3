import * as ops from '../core/ops/index.js';
import type { DType } from '../core/dtype.js';
import { SimError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

/**
 * torch op name → core op. The Python `torch` calls `call(name, ...args)` through the bridge;
 * every entry is one core op (or a short composition of them), so shapes, autograd, cost and the
 * trace are the core's. Arguments arrive as plain JS values: core tensors, numbers, arrays.
 */
type Arg = Tensor | number | boolean | string | null | undefined | readonly number[] | readonly Tensor[];
export type OpFn = (...args: Arg[]) => Tensor | Tensor[];

const T = (a: Arg): Tensor => a as Tensor;
const N = (a: Arg): number => a as number;
const dims = (a: Arg): number[] | undefined => (a === null || a === undefined ? undefined : typeof a === 'number' ? [a] : [...(a as number[])]);

const table: Record<string, OpFn> = {
  // arithmetic (tensor ∘ tensor, broadcasting)
  add: (a, b) => ops.add(T(a), T(b)),
  sub: (a, b) => ops.sub(T(a), T(b)),
  mul: (a, b) => ops.mul(T(a), T(b)),
  div: (a, b) => ops.div(T(a), T(b)),
  // with a Python number
  add_scalar: (a, s) => ops.addScalar(T(a), N(s)),
  mul_scalar: (a, s) => ops.scale(T(a), N(s)),
  neg: (a) => ops.neg(T(a)),
  matmul: (a, b) => ops.matmul(T(a), T(b)),
  // unary
  exp: (a) => ops.exp(T(a)),
  log: (a) => ops.log(T(a)),
  sqrt: (a) => ops.sqrt(T(a)),
  rsqrt: (a) => ops.rsqrt(T(a)),
  tanh: (a) => ops.tanh(T(a)),
  sigmoid: (a) => ops.sigmoid(T(a)),
  relu: (a) => ops.relu(T(a)),
  silu: (a) => ops.silu(T(a)),
  gelu_tanh: (a) => ops.gelu(T(a)),
  square: (a) => ops.square(T(a)),
  where: (c, a, b) => ops.where(T(c), T(a), T(b)),
  // reductions
  sum: (a, d, keep) => ops.sum(T(a), dims(d), !!keep),
  mean: (a, d, keep) => ops.mean(T(a), dims(d), !!keep),
  max_reduce: (a, d, keep) => ops.max(T(a), dims(d), !!keep),
  // shapes
  reshape: (a, s) => ops.reshape(T(a), s as number[]),
  permute: (a, p) => ops.transpose(T(a), p as number[]),
  narrow: (a, d, start, len) => ops.narrow(T(a), N(d), N(start), N(len)),
  split: (a, d, parts) => ops.split(T(a), N(d), parts as number | number[]),
  cat: (xs, d) => ops.concat(xs as Tensor[], N(d)),
  unsqueeze: (a, d) => ops.unsqueeze(T(a), N(d)),
  broadcast_to: (a, s) => ops.broadcastTo(T(a), s as number[]),
  // nn
  softmax_last: (a) => ops.softmax(T(a)),
  layer_norm: (x, w, b, eps) => ops.layerNorm(T(x), T(w), (b as Tensor | null) ?? null, N(eps)),
  rms_norm: (x, w, eps) => ops.rmsNorm(T(x), T(w), N(eps)),
  embedding: (w, ids) => ops.embedding(T(w), T(ids)),
  cross_entropy: (logits, target) => ops.crossEntropy(T(logits), T(target)),
};

/** Add or replace entries (the table grows with the core's op library). */
export function registerOps(extra: Record<string, OpFn>): void {
  Object.assign(table, extra);
}

export function hasOp(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, name);
}

export function callOp(name: string, args: readonly Arg[]): Tensor | Tensor[] {
  const f = table[name];
  if (!f) throw new SimError('user-exception', `AutoDist's torch has no core op "${name}"`, { fix: 'report this: the Python layer named an op the core does not have' });
  return f(...args);
}

export type { DType };
