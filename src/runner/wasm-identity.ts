import * as tf from '@tensorflow/tfjs-core';
import { replaceWasmKernel } from './replace-kernel.js';

/**
 * TensorFlow.js's WASM `Identity` kernel copies its input into a new buffer. tfjs runs it for
 * every `clone()` — and its tape clones every tensor an op saves for the backward, so a taped
 * forward (the verifier's reference gradients) copies each activation once more (measured: 0.6 s
 * of a 12 s seed-003 run). Tensors are immutable and the WASM backend counts references per
 * buffer (its Reshape shares buffers the same way), so this Identity shares its input's buffer,
 * as the CPU backend's does. The WASM kernels that call their own identity internally
 * (Concat, Reverse, Transpose) are not affected.
 */
export function registerSharingIdentity(): void {
  replaceWasmKernel(tf.Identity, ({ inputs, backend }) => {
    const x = (inputs as { x: tf.TensorInfo }).x;
    (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}
