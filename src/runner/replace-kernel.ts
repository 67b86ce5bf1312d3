import * as tf from '@tensorflow/tfjs-core';

/**
 * Run `register` with console.warn silenced: TensorFlow.js warns when a kernel or gradient is
 * registered again, and AutoDist replaces a few of them on purpose (backend.ts).
 */
export function quietly(register: () => void): void {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    register();
  } finally {
    console.warn = warn;
  }
}

/**
 * Put `kernelFunc` in place of TensorFlow.js's WASM kernel `kernelName` (keeping its setup), with
 * the original at hand for the cases it still serves. Does nothing when tfjs has no such kernel.
 * The registered function is marked `autodist: true`.
 */
export function replaceWasmKernel(kernelName: string, kernelFunc: (args: Parameters<tf.KernelFunc>[0], original: tf.KernelFunc) => ReturnType<tf.KernelFunc>): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) return;
  const replaced = Object.assign((args: Parameters<tf.KernelFunc>[0]) => kernelFunc(args, original.kernelFunc), { autodist: true });
  quietly(() => tf.registerKernel({ ...original, kernelFunc: replaced }));
}
