import { numel } from '../core/dtype.js';
import { ConfigError } from '../core/errors.js';
import { simulate } from '../core/simulate.js';
import type { ModelSpec } from './model.js';
import { Params, type WeightStore } from './weights.js';

/**
 * The safetensors format (HF), parsed and written in memory (no file system here: the caller
 * reads and writes the bytes):
 *   [u64 little-endian N] [N bytes of JSON header, space-padded] [data]
 *   header: { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, "__metadata__": {..} }
 * with offsets relative to the start of the data, little-endian values.
 */

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_SIZE: Readonly<Record<SafetensorsDType, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** One tensor of a file, its values widened to float32. */
export interface SafeTensor {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type ParsedSafetensors = Map<string, SafeTensor>;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bad(message: string): ConfigError {
  return new ConfigError(`safetensors: ${message}`, 'check that the bytes are a complete .safetensors file');
}

/** The header JSON and where the data starts. */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) throw bad(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) throw bad(`the header claims ${n} bytes but only ${bytes.length - 8} follow`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('the header is not a JSON object');
  return { header: header as Record<string, unknown>, dataStart: 8 + n };
}

/** The free-form string map stored under "__metadata__" (empty when absent). */
export function safetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  const m = readHeader(bytes).header.__metadata__;
  return m && typeof m === 'object' ? { ...(m as Record<string, string>) } : {};
}

/** Every tensor of a .safetensors file, F16/BF16/F8/integers converted to float32. */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  const { header, dataStart } = readHeader(bytes);
  const dataLen = bytes.length - dataStart;
  const out: ParsedSafetensors = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e.dtype as SafetensorsDType;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZE)) throw bad(`tensor "${name}" has dtype ${JSON.stringify(e.dtype)}; readable: ${Object.keys(DTYPE_SIZE).join(', ')}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`tensor "${name}" has shape ${JSON.stringify(shape)}`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o)) || offs[0] < 0 || offs[0] > offs[1] || offs[1] > dataLen) {
      throw bad(`tensor "${name}" has data_offsets ${JSON.stringify(offs)} outside the ${dataLen} data bytes`);
    }
    const count = numel(shape as number[]);
    const [begin, end] = offs as [number, number];
    if (end - begin !== count * DTYPE_SIZE[dtype]) {
      throw bad(`tensor "${name}" ${dtype} [${shape.join(', ')}] needs ${count * DTYPE_SIZE[dtype]} bytes but its offsets span ${end - begin}`);
    }
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    out.set(name, { dtype, shape: Object.freeze([...(shape as number[])]), data: decode(raw, dtype, count) });
  }
  return out;
}

/** Widen little-endian values to float32. */
function decode(raw: Uint8Array, dtype: SafetensorsDType, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(raw); // a copy also fixes unaligned offsets
    return out;
  }
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = v.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = v.getFloat64(8 * i, true);
      break;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer); // bfloat16 is the top half of a float32
      for (let i = 0; i < count; i++) bits[i] = v.getUint16(2 * i, true) << 16;
      break;
    }
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(v.getUint16(2 * i, true));
      break;
    case 'F8_E5M2':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(raw[i] << 8); // the top byte of a float16
      break;
    case 'F8_E4M3':
      for (let i = 0; i < count; i++) out[i] = e4m3ToFloat(raw[i]);
      break;
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(v.getBigInt64(8 * i, true));
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = v.getInt32(4 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = v.getInt16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = v.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = raw[i];
      break;
  }
  return out;
}

/** IEEE binary16: sign, 5 exponent bits (bias 15), 10 fraction bits. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return sign * f * 2 ** -24; // zero and subnormals
  if (e === 0x1f) return f ? NaN : sign * Infinity;
  return sign * (1 + f / 1024) * 2 ** (e - 15);
}

/** OCP FP8 E4M3 ("fn": bias 7, no infinities, S.1111.111 is NaN). */
function e4m3ToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 0xf;
  const m = b & 0x7;
  if (e === 0xf && m === 0x7) return NaN;
  if (e === 0) return sign * m * 2 ** -9;
  return sign * (1 + m / 8) * 2 ** (e - 7);
}

/** A .safetensors file (F32) of `tensors`, names in the given order, header padded to 8 bytes. */
export function writeSafetensors(tensors: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = { ...metadata };
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new ConfigError('safetensors: "__metadata__" is reserved and cannot name a tensor');
    if (t.data.length !== numel(t.shape)) throw new ConfigError(`safetensors: tensor "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`, 'give shape and data the same element count');
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const [, t] of entries) {
    if (LITTLE_ENDIAN_HOST) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}

/** How a model's spec reads an HF checkpoint (GPT-2 and Llama specs carry these). */
export interface HFCheckpointMapping {
  /** HF keeps this tensor as-is, or [out, in] where ours is [in, out]. Takes our name. */
  hfTensorLayout(name: string): 'transpose' | 'as-is';
  /** Our parameter name for an HF name; null for tensors that are not parameters (buffers, a tied copy). */
  fromHFName?(hfName: string): string | null;
}

export interface LoadReport {
  /** Our names that received values. */
  readonly loaded: string[];
  /** Our parameters the file does not have (they keep their synthetic values). */
  readonly missing: string[];
  /** Names in the file that the model does not have. */
  readonly unexpected: string[];
  /** Names in the file that are known not to be parameters (buffers, tied copies). */
  readonly ignored: string[];
  /** Prefixes stripped from the file's names to match them ("model.", "transformer."). */
  readonly prefixes?: string[];
}

/**
 * Put a parsed HF checkpoint into `store`, whose parameters must already be declared (see
 * declareParams). Names map through spec.fromHFName, [out, in] weights are transposed per
 * spec.hfTensorLayout, and every shape is checked; all shape mismatches are reported at once.
 * Load before building the models that should see the values.
 */
export function loadIntoStore(store: WeightStore, parsed: ParsedSafetensors, spec: HFCheckpointMapping): LoadReport {
  const declared = store.names();
  if (declared.length === 0) throw new ConfigError('the weight store has no parameters declared, so there is nothing to load into', 'call declareParams(spec, store) (or build the model once) before loadIntoStore');
  const fromHF = spec.fromHFName ?? ((n: string) => n);
  const plan: [string, string, Float32Array][] = [];
  const unexpected: string[] = [];
  const ignored: string[] = [];
  const mismatches: string[] = [];
  let flipped: 'transpose' | 'as-is' | undefined; // a 2-D tensor that fits the other way round
  // a checkpoint saved from a wrapper names its tensors "model.fc1.weight", "transformer.h.0…",
  // "module.…" (DDP): a name that matches nothing is tried without its first dotted segments
  const prefixes = new Map<string, number>();
  const resolve = (hfName: string): string | null | undefined => {
    const name = fromHF(hfName);
    if (name === null || store.has(name)) return name;
    const parts = hfName.split('.');
    for (let k = 1; k <= 3 && k < parts.length; k++) {
      const n = fromHF(parts.slice(k).join('.'));
      if (n && store.has(n)) {
        const p = parts.slice(0, k).join('.') + '.';
        prefixes.set(p, (prefixes.get(p) ?? 0) + 1);
        return n;
      }
    }
    return undefined;
  };
  for (const [hfName, t] of parsed) {
    const name = resolve(hfName);
    if (name === null) {
      ignored.push(hfName);
      continue;
    }
    if (name === undefined) {
      unexpected.push(hfName);
      continue;
    }
    const want = store.decl(name).shape;
    const transpose = spec.hfTensorLayout(name) === 'transpose';
    const found = transpose && t.shape.length === 2 ? [t.shape[1], t.shape[0]] : [...t.shape];
    if (found.length !== want.length || found.some((d, i) => d !== want[i]) || (transpose && t.shape.length !== 2)) {
      const as = transpose ? ` (HF [out, in]; [${found.join(', ')}] as our [in, out])` : '';
      if (t.shape.length === 2 && want.length === 2 && found[0] === want[1] && found[1] === want[0]) flipped ??= transpose ? 'transpose' : 'as-is';
      mismatches.push(`"${name}"${hfName !== name ? ` (file: "${hfName}")` : ''}: the file has [${t.shape.join(', ')}]${as}, the model expects [${want.join(', ')}]`);
      continue;
    }
    plan.push([name, hfName, transpose ? transpose2d(t.data, t.shape[0], t.shape[1]) : t.data]);
  }
  if (mismatches.length) {
    // the headline (the summary's first line) names the first tensor; the list follows
    const more = mismatches.length > 1 ? ` (and ${mismatches.length - 1} more shape mismatch${mismatches.length > 2 ? 'es' : ''})` : '';
    const list = mismatches.slice(1, 8).join('\n  ') + (mismatches.length > 8 ? `\n  … and ${mismatches.length - 8} more` : '');
    throw new ConfigError(`the checkpoint does not fit the model: ${mismatches[0]}${more}${list ? `\n  ${list}` : ''}`,
      flipped === 'transpose'
        ? "the file holds linear weights [in, out] (AutoDist's layout), not torch's [out, in]: weights: { file, layout: 'autodist' }"
        : flipped === 'as-is'
          ? "the file holds linear weights [out, in] (torch's nn.Linear layout): weights: { file, layout: 'torch' }"
          : "build the model from the checkpoint's own config.json (models.fromHF) so sizes match");
  }
  if (plan.length === 0) {
    const file = [...parsed.keys()];
    const show = (xs: readonly string[]) => xs.slice(0, 4).map((x) => `"${x}"`).join(', ') + (xs.length > 4 ? `, … (${xs.length})` : '');
    throw new ConfigError(`none of the checkpoint's ${file.length} tensors matches a parameter of the model: the file has ${show(file)}; the model has ${show(declared)}`,
      "load a checkpoint of this model (names as the model's, optionally under a prefix such as model. or transformer.), or build the model from the checkpoint's config.json (models.fromHF)");
  }
  for (const [name, , data] of plan) store.load(name, data);
  const loaded = plan.map(([n]) => n);
  const got = new Set(loaded);
  return { loaded, missing: declared.filter((n) => !got.has(n)), unexpected, ignored, prefixes: [...prefixes.keys()] };
}

/** [rows, cols] → [cols, rows]. */
function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}

/**
 * Declare every parameter of `spec` in `store` without making any values: build the model once
 * on a one-rank meta-mode run (shapes only).
 */
export async function declareParams(spec: ModelSpec, store: WeightStore): Promise<void> {
  const r = await simulate({ mesh: { tp: 1 }, mode: 'meta', sources: 'none', traceCompute: false }, (ctx) => {
    spec.build(new Params(ctx, store));
  });
  if (!r.ok) throw r.errors[0];
}
