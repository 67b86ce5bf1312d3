// Writes a small .safetensors file (F32) next to the cases: { name: shape } → seeded values.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

export function writeCheckpoint(file: string, tensors: Record<string, number[]>): string {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  let seed = 1;
  for (const [name, shape] of Object.entries(tensors)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n).map(() => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2);
    chunks.push(Buffer.from(data.buffer));
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const out = path.join(require('node:os').tmpdir(), path.basename(file));
  writeFileSync(out, Buffer.concat([len, json, ...chunks]));
  return out;
}
