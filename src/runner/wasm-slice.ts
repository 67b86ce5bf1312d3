import * as tf from '@tensorflow/tfjs-core';
import { replaceWasmKernel } from './replace-kernel.js';

interface WasmBackend {
  makeOutput(shape: readonly number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Copy the box `begin`, `size` of `x` (shape `shape`, row-major) into `out`, one innermost run at a
 * time: out is laid out row-major over `size`.
 */
export function sliceInto(x: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, shape: readonly number[], begin: readonly number[], size: readonly number[], out: { set(a: ArrayLike<number>, at: number): void }): void {
  const n = shape.length;
  const strides = new Array<number>(n);
  let s = 1;
  for (let d = n - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  const run = size[n - 1];
  const outer = size.slice(0, n - 1).reduce((p, d) => p * d, 1);
  const idx = new Array<number>(Math.max(0, n - 1)).fill(0);
  for (let r = 0, at = 0; r < outer; r++, at += run) {
    let off = begin[n - 1];
    for (let d = 0; d < n - 1; d++) off += (begin[d] + idx[d]) * strides[d];
    out.set(x.subarray(off, off + run), at);
    for (let d = n - 2; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
}

/**
 * TensorFlow.js's WASM Slice first copies the whole input out of the WASM heap (`readSync`), then
 * copies the slice back in: splitting a [1024, 4096] weight four ways copied 64 MiB. This one
 * copies the slice straight between heap views; strings run tfjs's kernel.
 */
export function registerHeapSlice(): void {
  replaceWasmKernel(tf.Slice, (args, original) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    if (x.dtype === 'string' || x.shape.length === 0) return original(args);
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(s, x.dtype);
    if (s.some((d) => d === 0)) return out;
    // views made after makeOutput: a heap that grew for the output has a new buffer
    sliceInto(backend.typedArrayFromHeap(x), x.shape, b, s, backend.typedArrayFromHeap(out));
    return out;
  });
}
