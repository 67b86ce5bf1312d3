import * as tf from '@tensorflow/tfjs-core';
import { replaceWasmKernel } from './replace-kernel.js';

interface WasmBackend {
  makeOutput(shape: readonly number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** Tile edge of the blocked transpose: 32 × 32 floats = 4 KiB read and 4 KiB written per tile. */
const TILE = 32;

/**
 * Transpose of the last two dims, out[b][j][i] = x[b][i][j], tile by tile so that both sides stay
 * in cache (a row-by-row transpose misses the cache on every write once a row passes ~1K floats).
 */
export function transposeLastTwo(x: Float32Array, out: Float32Array, batch: number, rows: number, cols: number): void {
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(i0 + TILE, rows);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(j0 + TILE, cols);
        for (let i = i0; i < i1; i++) {
          let src = base + i * cols + j0;
          let dst = base + j0 * rows + i;
          for (let j = j0; j < j1; j++, src++, dst += rows) out[dst] = x[src];
        }
      }
    }
  }
}

/**
 * TensorFlow.js's WASM Transpose moves one element at a time through a generic index loop
 * (57 ms for a [1024, 4096] float32 matrix, measured). Matmul gradients transpose a weight or an
 * activation every time (dX = dY·Wᵀ, dW = Xᵀ·dY). This kernel does the float32 swap of the last
 * two dims — the matmul case — as a blocked copy straight between the WASM heap views; any other
 * permutation or dtype runs tfjs's kernel.
 */
export function registerFastTranspose(): void {
  replaceWasmKernel(tf.Transpose, (args, original) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const perm = (args.attrs as { perm: number[] }).perm;
    const n = x.shape.length;
    const swapsLastTwo = n >= 2 && perm.length === n && perm[n - 2] === n - 1 && perm[n - 1] === n - 2 && perm.slice(0, n - 2).every((p, i) => p === i);
    if (x.dtype !== 'float32' || !swapsLastTwo) return original(args);
    const backend = args.backend as unknown as WasmBackend;
    const rows = x.shape[n - 2];
    const cols = x.shape[n - 1];
    const batch = x.shape.slice(0, n - 2).reduce((p, d) => p * d, 1);
    const out = backend.makeOutput([...x.shape.slice(0, n - 2), cols, rows], 'float32');
    // views made after makeOutput: a heap that grew for the output has a new buffer
    transposeLastTwo(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), batch, rows, cols);
    return out;
  });
}
