/**
 * Logical dtypes. The numeric mode computes in float32 / int32 on TensorFlow.js (which has no
 * 16-bit floats and no 64-bit integers); bfloat16 / float16 / int64 are carried as metadata so
 * byte counts, memory and time follow the dtype the person declared. int64 (PyTorch's default
 * integer: token ids, indices) is stored as int32, so its values must fit in ±2³¹.
 */
export type DType = 'float32' | 'bfloat16' | 'float16' | 'int64' | 'int32' | 'bool';

/** Every dtype AutoDist knows, in the order errors list them. */
export const DTYPES: readonly DType[] = Object.freeze(['float32', 'bfloat16', 'float16', 'int64', 'int32', 'bool']);

/** The dtypes a model's parameters and activations may have (the spec's `dtype`). */
export const FLOAT_DTYPES: readonly DType[] = Object.freeze(['float32', 'bfloat16', 'float16']);

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

export const DTYPE_BYTES: Readonly<Record<DType, number>> = Object.freeze({
  float32: 4,
  bfloat16: 2,
  float16: 2,
  int64: 8,
  int32: 4,
  bool: 1,
});

/** The TensorFlow.js storage dtype of a logical dtype. */
export function storageDType(dtype: DType): 'float32' | 'int32' | 'bool' {
  if (dtype === 'int32' || dtype === 'bool') return dtype;
  if (dtype === 'int64') return 'int32';
  return 'float32';
}

/** int64 or int32. */
export function isInt(dtype: DType): boolean {
  return dtype === 'int64' || dtype === 'int32';
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'bfloat16' || dtype === 'float16';
}

export function bytesOf(elements: number, dtype: DType): number {
  return elements * DTYPE_BYTES[dtype];
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
