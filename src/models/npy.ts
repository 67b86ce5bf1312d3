import { numel } from '../core/dtype.js';
import { ConfigError } from '../core/errors.js';

/**
 * NumPy's .npy format (numpy.lib.format), parsed in memory (no file system here):
 *   "\x93NUMPY" [major] [minor] [u16 (v1) or u32 (v2, v3) little-endian header length]
 *   header: a Python dict literal { 'descr': '<f4', 'fortran_order': False, 'shape': (8, 128, 1024), }
 *   then the values, C order unless fortran_order.
 * Floats come back as float32, integers and booleans as int32 (what the simulator computes in).
 */
export interface NpyArray {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly data: Float32Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function bad(message: string): ConfigError {
  return new ConfigError(`npy: ${message}`, 'save the array with numpy.save (or torch: numpy.save(path, tensor.numpy()))');
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('the file does not start with \\x93NUMPY');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad(`the header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  if (fortran === 'True') throw bad('the array is in Fortran order; save a C-ordered copy (numpy.ascontiguousarray)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`shape (${shapeText}) is not a tuple of sizes`);
  const n = numel(shape);
  const start = headerStart + headerLen;
  const order = descr[0];
  if (order === '>') throw bad(`dtype ${descr} is big-endian; save it little-endian (array.astype('<${descr.slice(1)}'))`);
  const kind = descr.slice(1);
  const size: Record<string, number> = { f4: 4, f8: 8, f2: 2, i4: 4, i8: 8, i2: 2, i1: 1, u1: 1, b1: 1 };
  if (!(kind in size)) throw bad(`dtype ${descr} is not readable (readable: float16/32/64, int8/16/32/64, uint8, bool)`);
  if (bytes.length - start < n * size[kind]) throw bad(`[${shape.join(', ')}] ${descr} needs ${n * size[kind]} bytes but ${bytes.length - start} follow the header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + start, n * size[kind]);
  const isFloat = kind[0] === 'f';
  const data = isFloat ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'f4': data[i] = dv.getFloat32(4 * i, true); break;
      case 'f8': data[i] = dv.getFloat64(8 * i, true); break;
      case 'f2': data[i] = half(dv.getUint16(2 * i, true)); break;
      case 'i4': data[i] = dv.getInt32(4 * i, true); break;
      case 'i8': data[i] = Number(dv.getBigInt64(8 * i, true)); break;
      case 'i2': data[i] = dv.getInt16(2 * i, true); break;
      case 'i1': data[i] = dv.getInt8(i); break;
      default: data[i] = dv.getUint8(i); // u1, b1
    }
  }
  return { shape, dtype: isFloat ? 'float32' : 'int32', data };
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
