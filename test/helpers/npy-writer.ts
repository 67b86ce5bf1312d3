/**
 * A minimal .npy (v1.0, little-endian float32 or int32, C order) writer for tests, written from
 * numpy.lib.format's description independently of src/models/npy.ts's reader.
 */
export function npyBytes(shape: readonly number[], values: Float32Array | Int32Array): Uint8Array {
  const descr = values instanceof Float32Array ? '<f4' : '<i4';
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + values.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), total);
  return out;
}
