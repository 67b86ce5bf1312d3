import { ShapeError } from '../errors.js';
import { captureSource } from '../source.js';
import type { Tensor } from '../tensor.js';

/** Raise a shape error at the person's line, on the tensor's rank. */
export function shapeError(x: Tensor, message: string, fix?: string): ShapeError {
  const m = x.ctx.module;
  return new ShapeError(`rank ${x.rank}${m ? `, in ${m}` : ''}: ${message}`, { rank: x.rank, source: captureSource() ?? x.ctx.moduleSite(), fix });
}

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Normalise a possibly negative dim against a rank-n shape. */
export function normDim(x: Tensor, dim: number, what = 'dim'): number {
  const n = x.shape.length;
  const d = dim < 0 ? dim + n : dim;
  if (!Number.isInteger(d) || d < 0 || d >= n) {
    throw shapeError(x, `${what} ${dim} is out of range for a tensor of shape ${fmt(x.shape)} (${n} dims)`, `use a dim in [${-n}, ${n - 1}]`);
  }
  return d;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(a: Tensor, b: Tensor, op: string): number[] {
  const n = Math.max(a.ndim, b.ndim);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a.shape[a.ndim - n + i] ?? 1;
    const db = b.shape[b.ndim - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw shapeError(a, `${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not broadcast (dim ${i - n}: ${da} vs ${db})`,
        'make the sizes equal, or 1 where the values should repeat');
    }
    out[i] = Math.max(da, db);
  }
  return out;
}
