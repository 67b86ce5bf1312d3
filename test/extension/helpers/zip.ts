/** The entries of a zip file (a VSIX), read from its central directory. Enough for listing. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  readonly compressedSize: number;
}

export function zipEntries(file: string): ZipEntry[] {
  const b = readFileSync(file);
  // end of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 65_557); i--) {
    if (b.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = b.readUInt16LE(eocd + 10);
  let at = b.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (b.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry at ${at}`);
    const compressedSize = b.readUInt32LE(at + 20);
    const size = b.readUInt32LE(at + 24);
    const nameLen = b.readUInt16LE(at + 28);
    const extraLen = b.readUInt16LE(at + 30);
    const commentLen = b.readUInt16LE(at + 32);
    out.push({ name: b.toString('utf8', at + 46, at + 46 + nameLen), size, compressedSize });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Extracts every file of a zip into `dir` (stored and deflated entries, which is what vsce writes). */
export function unzipTo(file: string, dir: string): string[] {
  const b = readFileSync(file);
  const out: string[] = [];
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 65_557); i--) {
    if (b.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  const count = b.readUInt16LE(eocd + 10);
  let at = b.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    const method = b.readUInt16LE(at + 10);
    const compressedSize = b.readUInt32LE(at + 20);
    const nameLen = b.readUInt16LE(at + 28);
    const extraLen = b.readUInt16LE(at + 30);
    const commentLen = b.readUInt16LE(at + 32);
    const local = b.readUInt32LE(at + 42);
    const name = b.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    const dataAt = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    const raw = b.subarray(dataAt, dataAt + compressedSize);
    const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : null;
    if (!data) throw new Error(`${name}: compression method ${method}`);
    const target = join(dir, name);
    if (!target.startsWith(dir)) throw new Error(`${name} escapes the folder`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
    out.push(name);
  }
  return out;
}
