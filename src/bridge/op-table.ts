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
  div: (a, b) => ops.trueDivide(T(a), T(b)),
  floor_divide: (a, b) => ops.floorDivide(T(a), b as Tensor),
  remainder: (a, b) => ops.remainder(T(a), b as Tensor),
  // with a Python number
  // an integer tensor with an integer stays integer (its storage too: the core's scalar ops compute in float)
  add_scalar: (a, s) => keepInt(T(a), ops.addScalar(T(a), N(s))),
  mul_scalar: (a, s) => keepInt(T(a), ops.scale(T(a), N(s))),
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
  where: (c, a, b) => ops.whereBroadcast(T(c), a as Tensor, b as Tensor),
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
  topk: (x, k, d, largest) => ops.topk(T(x), N(k), N(d), Boolean(largest)),
  sort: (x, d, descending) => ops.sort(T(x), N(d), Boolean(descending)),
  cumsum: (x, d) => ops.cumsum(T(x), N(d)),
  unsqueeze: (a, d) => ops.unsqueeze(T(a), N(d)),
  broadcast_to: (a, s) => ops.broadcastTo(T(a), s as number[]),
  split_sizes: (a, d, sizes) => ops.split(T(a), N(d), sizes as number[]),
  slice_step: (a, d, start, end, step) => ops.slice(T(a), N(d), N(start), N(end), N(step)),
  select: (a, d, i) => ops.select(T(a), N(d), N(i)),
  expand: (a, s) => ops.expand(T(a), s as number[]),
  stack: (xs, d) => ops.stack(xs as Tensor[], N(d)),
  flip: (a, d) => ops.flip(T(a), d as number[]),
  index_select: (a, d, i) => ops.indexSelect(T(a), N(d), T(i)),
  gather: (a, d, i) => ops.gather(T(a), N(d), T(i)),
  pad: (a, d, before, after) => ops.pad(T(a), N(d), N(before), N(after)),
  linear: (x, w) => ops.matmul(T(x), ops.transposeLast(T(w))), // y = x Wᵀ, W [out, in]
  // dtypes
  cast: (a, dt) => ops.cast(T(a), dt as DType),
  // math the torch surface adds
  pow_scalar: (a, e) => ops.powScalar(T(a), N(e)),
  pow: (a, b) => ops.pow(T(a), T(b)),
  sin: (a) => ops.sin(T(a)),
  cos: (a) => ops.cos(T(a)),
  abs: (a) => ops.abs(T(a)),
  reciprocal: (a) => ops.reciprocal(T(a)),
  erf: (a) => ops.erf(T(a)),
  erfinv: (a) => ops.erfinv(T(a)),
  clamp: (a, lo, hi) => ops.clamp(T(a), lo as number | null, hi as number | null),
  minimum: (a, b) => ops.minimum(T(a), T(b)),
  maximum: (a, b) => ops.maximum(T(a), T(b)),
  eq: (a, b) => ops.eq(T(a), b as Tensor),
  ne: (a, b) => ops.ne(T(a), b as Tensor),
  lt: (a, b) => ops.lt(T(a), b as Tensor),
  le: (a, b) => ops.le(T(a), b as Tensor),
  gt: (a, b) => ops.gt(T(a), b as Tensor),
  ge: (a, b) => ops.ge(T(a), b as Tensor),
  logical_not: (a) => ops.logicalNot(T(a)),
  logical_and: (a, b) => ops.logicalAnd(T(a), T(b)),
  logical_or: (a, b) => ops.logicalOr(T(a), T(b)),
  masked_fill: (x, m, v) => ops.maskedFill(T(x), T(m), N(v)),
  triu: (x, k) => ops.triu(T(x), N(k)),
  tril: (x, k) => ops.tril(T(x), N(k)),
  amax: (a, d, keep) => ops.amax(T(a), dims(d), !!keep),
  amin: (a, d, keep) => ops.amin(T(a), dims(d), !!keep),
  max_dim: (a, d, keep) => ops.maxDim(T(a), N(d), !!keep),
  min_dim: (a, d, keep) => ops.minDim(T(a), N(d), !!keep),
  argmax: (a, d, keep) => ops.argmax(T(a), d as number | null, !!keep),
  var: (a, d, c, keep) => ops.variance(T(a), dims(d), { correction: N(c), keepdim: !!keep }),
  // nn
  softmax: (a, d) => ops.softmaxDim(T(a), N(d)),
  log_softmax: (a, d) => ops.logSoftmax(T(a), N(d)),
  gelu_erf: (a) => ops.geluErf(T(a)),
  layer_norm: (x, w, b, eps) => ops.layerNormNd(T(x), [T(x).shape[T(x).ndim - 1]], (w as Tensor | null) ?? null, (b as Tensor | null) ?? null, N(eps)),
  rms_norm: (x, w, eps) => ops.rmsNormNd(T(x), [T(x).shape[T(x).ndim - 1]], (w as Tensor | null) ?? null, eps as number | null),
  embedding: (w, ids) => ops.embedding(T(w), T(ids)),
  dropout: (x, p, mask) => ops.torchDropout(T(x), N(p), true, { mask: T(mask) }),
  cross_entropy: (logits, target, ignore, reduction) => ops.crossEntropyLoss(T(logits), T(target), { ignoreIndex: N(ignore), reduction: reduction as 'mean' }),
  nll_loss: (logp, target, ignore, reduction) => ops.nllLoss(T(logp), T(target), { ignoreIndex: N(ignore), reduction: reduction as 'mean' }),
};

function keepInt(x: Tensor, y: Tensor): Tensor {
  return x.dtype === 'int64' || x.dtype === 'int32' ? ops.cast(y, x.dtype) : y;
}

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
