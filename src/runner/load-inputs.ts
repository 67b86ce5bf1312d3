import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { SourceLocation } from '../core/source.js';
import { parseNpy } from '../models/npy.js';
import { parseSafetensors } from '../models/safetensors.js';
import { isHostTensor, type HostTensor, type TensorSource } from '../parallel/simulation/inputs.js';
import type { SimulationSpec } from '../parallel/simulation/spec.js';
import { RunnerError } from './errors.js';

const INT_DTYPES = new Set(['I64', 'I32', 'I16', 'I8', 'U8', 'BOOL']);

/**
 * The spec with its input and label files read: `input.data` / `input.labels` given as
 * "batch.npy" or "batch.safetensors#name" (relative to the script) become values in memory, so
 * the pure simulation never touches the file system. Integer tensors (token ids) become int32.
 */
export function resolveInputFiles(spec: SimulationSpec, script: string, locate: (needle: string) => SourceLocation | undefined): SimulationSpec {
  const input = spec.input;
  if (!input || (input.data === undefined && input.labels === undefined)) return spec;
  const read = (src: TensorSource | undefined, what: string, key: string) => {
    const at = typeof src === 'string' ? locate(src) : locate(key);
    const t = typeof src === 'string' ? readTensorFile(src, script, what, at) : src;
    if (isHostTensor(t)) checkHostInput(t, what, input, at);
    return t;
  };
  return { ...spec, input: { ...input, data: read(input.data, 'input.data', 'data'), labels: read(input.labels, 'input.labels', 'labels') } };
}

/**
 * Values given for the batch, checked once where the spec is read: they fill their shape, the
 * shape starts [batch, seq], and every value is finite (a NaN or ±Infinity in the input turns
 * the whole forward into NaN, far from its cause).
 */
function checkHostInput(t: HostTensor, what: string, input: { batch: number; seq: number }, at: SourceLocation | undefined): void {
  const from = t.from ? ` (${t.from})` : '';
  const n = t.shape.reduce((p, d) => p * d, 1);
  if (t.data.length !== n) throw new RunnerError('load', `${what}${from}: ${t.data.length} values do not fill [${t.shape.join(', ')}] (${n} values)`, { fix: `give ${n} values, or the shape they fill`, source: at });
  if (t.shape[0] !== input.batch || (t.shape.length > 1 && t.shape[1] !== input.seq)) {
    throw new RunnerError('load', `${what}${from} is [${t.shape.join(', ')}] but input is batch ${input.batch}, seq ${input.seq}`, { fix: `make it [${input.batch}, ${input.seq}, …], or set input.batch and input.seq to its first two sizes`, source: at });
  }
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (Number.isFinite(v)) continue;
    const bad = Array.prototype.filter.call(t.data, (x: number) => !Number.isFinite(x)).length;
    throw new RunnerError('load', `${what}${from} holds ${v} at flat index ${i} (${bad} non-finite of ${t.data.length} values)`, { fix: 'replace NaN and ±Infinity in the values before the run (or mask them out): the first layer would carry them into every output', source: at });
  }
}

export function readTensorFile(ref: string, script: string, what: string, at?: SourceLocation): HostTensor {
  const hash = ref.lastIndexOf('#');
  const rel = hash > 0 ? ref.slice(0, hash) : ref;
  const name = hash > 0 ? ref.slice(hash + 1) : undefined;
  const abs = path.resolve(path.dirname(script), rel);
  if (!existsSync(abs)) throw new RunnerError('load', `${what}: the file ${rel} does not exist (looked for ${abs})`, { fix: 'give a .npy or .safetensors path relative to the script', source: at });
  const bytes = new Uint8Array(readFileSync(abs));
  try {
    if (rel.endsWith('.npy')) {
      if (name) throw new ConfigError(`${rel} is a .npy file: it holds one array, not "${name}"`, `write "${rel}" without #${name}`);
      const a = parseNpy(bytes);
      return { shape: a.shape, data: a.data, dtype: a.dtype, from: rel };
    }
    if (!rel.endsWith('.safetensors')) throw new ConfigError(`${what}: ${rel} is neither .npy nor .safetensors`, 'save the tensor with numpy.save or safetensors.torch.save_file');
    const all = parseSafetensors(bytes);
    const names = [...all.keys()];
    const key = name ?? (names.length === 1 ? names[0] : undefined);
    if (key === undefined) throw new ConfigError(`${rel} holds ${names.length} tensors (${names.slice(0, 6).join(', ')}); which one is ${what}?`, `write "${rel}#${names[0] ?? 'name'}"`);
    const t = all.get(key);
    if (!t) throw new ConfigError(`${rel} has no tensor "${key}" (it has ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''})`, `write "${rel}#${names[0]}"`);
    const int = INT_DTYPES.has(t.dtype);
    return { shape: t.shape, data: int ? Int32Array.from(t.data) : t.data, dtype: int ? 'int32' : 'float32', from: `${rel}#${key}` };
  } catch (e) {
    if (e instanceof ConfigError) throw new RunnerError('load', `${what}: ${e.headline}`, { fix: e.fix, source: at });
    throw e;
  }
}
