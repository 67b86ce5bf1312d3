/**
 * The typed limits of a simulation spec, checked once where the spec is built (simulation(),
 * and again with the command line's overrides before a run): every field has the type and
 * range it is documented with, or a ConfigError names the field, what it got and what to
 * write instead. A script is JavaScript as much as TypeScript: `tp: "4"`, `dtype: "float8"`,
 * `seq: NaN` all reach us.
 */
import { ConfigError } from '../../core/errors.js';
import { FLOAT_DTYPES } from '../../core/dtype.js';
import { MAX_WORLD } from '../../core/mesh.js';
import type { SimulationSpec } from './spec.js';

/**
 * The largest world a run takes. A meta run folds dp/tp by symmetry, so it holds per-rank
 * arrays (clocks, memory, coordinates) but runs few ranks: 2^21 = 2,097,152 ranks (a 2^20
 * data-parallel mesh of tp=2 simulates in about 30 s and 3 GB here). A numeric run computes
 * every rank's tensors: 16,384 ranks.
 */
export const MAX_META_RANKS = MAX_WORLD;
export const MAX_NUMERIC_RANKS = 16384;

/** A value as an error shows it: strings quoted, the type named for objects. */
export function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  return 'an object';
}

/** `n` for an integer field: a number, whole, ≥ min; the error names the field and, for a string, how to write the number. */
export function checkWholeNumber(field: string, v: unknown, min: number, example: string): void {
  if (typeof v === 'string' && v.trim() !== '' && Number.isInteger(Number(v))) {
    throw new ConfigError(`${field} is the string ${JSON.stringify(v)}, not a number`, `write ${example.replace(/\d+$/, v.trim())} (a number, without quotes)`);
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ConfigError(`${field} must be a whole number ≥ ${min}, got ${shown(v)}`, `write ${example}`);
  }
}

/** The mesh: a plain object of axis → whole size ≥ 1. */
export function checkMeshSizes(mesh: unknown): void {
  if (typeof mesh !== 'object' || mesh === null || Array.isArray(mesh)) {
    throw new ConfigError(`mesh must be an object of axis sizes, got ${shown(mesh)}`, 'write mesh: { dp: 2, pp: 2, tp: 2 }');
  }
  for (const [axis, v] of Object.entries(mesh)) {
    if (v === undefined) continue;
    checkWholeNumber(`mesh axis "${axis}"`, v, 1, `${axis}: 2`);
  }
}

/** The world's size against the mode's ceiling (after the command line's overrides). */
export function checkWorldSize(spec: SimulationSpec): void {
  let world = 1;
  const sizes: string[] = [];
  for (const [axis, v] of Object.entries(spec.mesh)) {
    if (typeof v !== 'number') continue;
    world *= v;
    sizes.push(`${axis}=${v}`);
  }
  const meta = spec.mode === 'meta';
  const max = meta ? MAX_META_RANKS : MAX_NUMERIC_RANKS;
  if (world <= max) return;
  const n = world.toLocaleString('en-US');
  if (meta) throw new ConfigError(`the mesh ${sizes.join(' × ')} has ${n} ranks; a meta run takes at most ${max.toLocaleString('en-US')} (2^21)`, 'use a smaller mesh: the same per-rank shapes and traffic show at a smaller dp');
  throw new ConfigError(`the mesh ${sizes.join(' × ')} has ${n} ranks; a numeric run takes at most ${max.toLocaleString('en-US')}`, `run it in meta mode (--meta, or mode: "meta"; up to ${MAX_META_RANKS.toLocaleString('en-US')} ranks), or use a smaller mesh`);
}

/** The optional fields' types: each as documented on SimulationSpec. */
export function checkSpecFields(spec: SimulationSpec): void {
  const s = spec as unknown as Record<string, unknown>;
  if (s.dtype !== undefined && !(FLOAT_DTYPES as readonly unknown[]).includes(s.dtype)) {
    throw new ConfigError(`dtype ${shown(s.dtype)} is not one AutoDist simulates`, `use one of ${FLOAT_DTYPES.map((d) => `"${d}"`).join(', ')}`);
  }
  if (s.name !== undefined && typeof s.name !== 'string') throw new ConfigError(`name must be a string, got ${shown(s.name)}`);
  if (s.seed !== undefined && (typeof s.seed !== 'number' || !Number.isFinite(s.seed))) throw new ConfigError(`seed must be a finite number, got ${shown(s.seed)}`, 'write seed: 1');
  if (s.gpusPerNode !== undefined) checkWholeNumber('gpusPerNode', s.gpusPerNode, 1, 'gpusPerNode: 8');
  if (s.hardware !== undefined && typeof s.hardware !== 'string' && (typeof s.hardware !== 'object' || s.hardware === null)) {
    throw new ConfigError(`hardware must be a preset id or a preset object, got ${shown(s.hardware)}`, 'write hardware: "h100" (or "a100", "h200")');
  }
  if (s.algorithm !== undefined) {
    const ok = (a: unknown) => a === 'ring' || a === 'tree';
    const per = typeof s.algorithm === 'object' && s.algorithm !== null && !Array.isArray(s.algorithm);
    if (!(ok(s.algorithm) || (per && Object.values(s.algorithm as object).every(ok)))) {
      throw new ConfigError(`algorithm must be "ring" or "tree" (or an object of them per collective), got ${shown(s.algorithm)}`, 'write algorithm: "ring"');
    }
  }
  if (s.verify !== undefined && typeof s.verify !== 'boolean') {
    if (typeof s.verify !== 'object' || s.verify === null || Array.isArray(s.verify)) throw new ConfigError(`verify must be true, false or { output, grad } tolerances, got ${shown(s.verify)}`, 'write verify: { output: 1e-4, grad: 1e-3 }');
    for (const [k, v] of Object.entries(s.verify)) {
      if (k !== 'output' && k !== 'grad') throw new ConfigError(`verify has no field "${k}"`, 'the tolerances are verify: { output, grad } (relative errors)');
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
        throw new ConfigError(`verify.${k} must be a relative error ≥ 0, got ${shown(v)}`, `write verify: { ${k}: 1e-4 }`);
      }
    }
  }
  if (s.fold !== undefined && s.fold !== false && s.fold !== 'auto' && !(Array.isArray(s.fold) && s.fold.every((a) => typeof a === 'string'))) {
    throw new ConfigError(`fold must be "auto", false or a list of mesh axes, got ${shown(s.fold)}`, 'write fold: ["dp", "tp"]');
  }
  if (s.replayMicrobatches !== undefined && typeof s.replayMicrobatches !== 'boolean') throw new ConfigError(`replayMicrobatches must be true or false, got ${shown(s.replayMicrobatches)}`);
  if (s.weights !== undefined) {
    const w = s.weights as unknown;
    const file = typeof w === 'object' && w !== null ? (w as { file?: unknown }).file : w;
    const layout = typeof w === 'object' && w !== null ? (w as { layout?: unknown }).layout : undefined;
    if (typeof file !== 'string' || file === '') throw new ConfigError(`weights must be the path of a .safetensors file (or { file, layout }), got ${shown(s.weights)}`, 'write weights: "model.safetensors" or weights: { file: "model.safetensors", layout: "torch" }');
    if (layout !== undefined && layout !== 'torch' && layout !== 'autodist') throw new ConfigError(`weights.layout ${shown(layout)} is not a layout AutoDist reads`, 'use layout: "torch" (nn.Linear weights [out, in], the default) or "autodist" ([in, out])');
  }
  if (s.program !== undefined && typeof s.program !== 'function') throw new ConfigError(`program must be a function async (rank) => { ... }, got ${shown(s.program)}`);
  if (s.model !== undefined && (typeof s.model !== 'object' || s.model === null || typeof (s.model as { build?: unknown }).build !== 'function')) {
    throw new ConfigError(`model must be a model spec such as models.ffn({ hidden: 64 }), got ${shown(s.model)}`, 'write model: models.gpt2({ nLayer: 2, nEmbd: 64, nHead: 4, vocab: 128 })');
  }
  if (s.input !== undefined && (typeof s.input !== 'object' || s.input === null || Array.isArray(s.input))) throw new ConfigError(`input must be { batch, seq }, got ${shown(s.input)}`, 'write input: { batch: 8, seq: 128 }');
  if (s.schedule !== undefined && typeof s.schedule !== 'function' && !['GPipe', '1F1B', 'Interleaved1F1B'].includes(s.schedule as string)) {
    throw new ConfigError(`unknown schedule ${shown(s.schedule)}`, 'use "GPipe", "1F1B", "Interleaved1F1B" or your own function');
  }
}
