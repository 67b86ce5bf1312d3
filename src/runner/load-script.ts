import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { SimError } from '../core/errors.js';
import { describeThrown } from '../core/simulate.js';
import type { SourceLocation } from '../core/source.js';
import * as api from '../index.js';
import { checkLayout, layoutMapping, weightsSpecOf } from '../models/checkpoint-layout.js';
import { loadIntoStore, parseSafetensors, safetensorsMetadata, type HFCheckpointMapping } from '../models/safetensors.js';
import { ZEROS, type WeightStore } from '../models/weights.js';
import { checkSpec, isSimulationSpec, type SimulationSpec } from '../parallel/simulation/spec.js';
import { RunnerError, userFrame } from './errors.js';
import { resolveInputFiles } from './load-inputs.js';
import { ScriptModules } from './module-loader.js';

/** A loaded script: its simulation and what the run needs to point back into its text. */
export interface LoadedScript {
  /** Absolute path. */
  readonly file: string;
  readonly text: string;
  readonly spec: SimulationSpec;
  /** The first line of the script holding `needle` (plan keys are found this way). */
  locate(needle: string): SourceLocation | undefined;
  /** Puts the spec's `weights` file into the weight store, when the spec names one. */
  readonly loadWeights?: (store: WeightStore) => void;
  /** What loadWeights did (filled in when it runs). */
  readonly weightsLog: string[];
}

/** The modules a script's bare `require`s resolve to before node's resolution: AutoDist itself. */
export function scriptBuiltins(): Readonly<Record<string, unknown>> {
  const autodist = Object.freeze({ ...api, __esModule: true });
  return { autodist, '@tensorflow/tfjs-core': tf };
}

const EXPECTED = 'export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: 64 }), input: { batch: 2, seq: 8 }, plan: {...} })';

/**
 * Read, transpile and evaluate a script, and take its default export as the simulation.
 * Errors say where: a syntax error at its file:line:column, an exception at the script's line
 * that threw, a wrong export with the shape that is expected.
 */
export function loadScript(file: string, modules = new ScriptModules(scriptBuiltins())): LoadedScript {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new RunnerError('load', `no such script: ${abs}`, { fix: 'check the path; scripts are .ts or .js files' });
  const text = readFileSync(abs, 'utf8');
  let exports: unknown;
  try {
    exports = modules.load(abs);
  } catch (e) {
    throw asLoadError(e, abs, modules.cycles);
  }
  const locate = locator(abs, text);
  const spec = resolveInputFiles(defaultExport(exports, abs), abs, locate);
  const weightsLog: string[] = [];
  const loadWeights = spec.weights === undefined ? undefined : weightsLoader(spec, abs, locate, weightsLog);
  return { file: abs, text, spec, locate, loadWeights, weightsLog };
}

function asLoadError(e: unknown, file: string, cycles: readonly string[][] = []): Error {
  if (e instanceof RunnerError) return e;
  if (e instanceof SimError) {
    // simulation({...}) checks the spec as the script runs: point at the script's line.
    return e.source ? e : new SimError(e.kind, e.message.split('\n')[0], { ranks: e.ranks, fix: e.fix, source: userFrame(e, file) });
  }
  if (!(e instanceof Error)) {
    return new RunnerError('script', `${path.basename(file)} threw ${describeThrown(e)} while loading, not an Error`, { fix: 'throw new Error("...") so that the report can point at the line', source: { file, line: 1, column: 1 } });
  }
  const err = e;
  // the innermost line of the person's own files: a helper module's own line, not the import of it
  const source = userFrame(err) ?? userFrame(err, file);
  const where = source && source.file !== file ? path.basename(source.file) : path.basename(file);
  const cycle = cycles.length ? ` — ${cycles[0].map((f) => path.basename(f)).join(' → ')} is a circular import: ${path.basename(cycles[0][cycles[0].length - 1])} was read while it was still loading, before its exports were set` : '';
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new RunnerError('script', `${where} overflowed the call stack while loading (RangeError: ${err.message}): a recursion that does not end`, { source, fix: 'give the recursion a base case, or turn it into a loop' });
  }
  return new RunnerError('script', `${where} threw while loading: ${err.name}: ${err.message.split('\n')[0]}${cycle}`, {
    source,
    fix: cycle ? 'break the cycle: move what both files need into a third file that imports neither' : undefined,
  });
}

function defaultExport(exports: unknown, file: string): SimulationSpec {
  const ex = exports as Record<string, unknown> | null | undefined;
  const candidate = ex && typeof ex === 'object' && 'default' in ex ? ex.default : ex;
  if (!isSimulationSpec(candidate)) {
    const names = ex && typeof ex === 'object' ? Object.keys(ex).filter((k) => k !== '__esModule') : [];
    const got = !ex || (typeof ex === 'object' && !('default' in ex))
      ? `it has no default export${names.length ? ` (it exports ${names.join(', ')})` : ''}`
      : `its default export is ${describeValue(candidate)}`;
    throw new RunnerError('export', `${path.basename(file)} does not export a simulation: ${got}`, {
      fix: `end the script with ${EXPECTED} — an object with a mesh and either a model (with input) or a program`,
      source: { file, line: 1, column: 1 },
    });
  }
  try {
    checkSpec(candidate, { declared: true }); // the command line may still change mesh and mode
  } catch (e) {
    throw asLoadError(e, file);
  }
  return candidate;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'}) — call simulation({...}) instead of exporting a function`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    return keys.length ? `an object with ${keys.map((k) => `"${k}"`).join(', ')} but no ${'mesh' in (v as object) ? 'model or program' : 'mesh'}` : 'an empty object';
  }
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** The first line holding `needle` — quoted ("h.*.mlp.c_fc") if it appears quoted, else bare. */
export function locator(file: string, text: string): (needle: string) => SourceLocation | undefined {
  // comments blanked out: a key also quoted in an earlier comment is placed at the key
  const lines = withoutComments(text).split('\n');
  return (needle: string) => {
    if (!needle) return undefined;
    for (const q of [`"${needle}"`, `'${needle}'`, `\`${needle}\``, needle]) {
      for (let i = 0; i < lines.length; i++) {
        const c = lines[i].indexOf(q);
        if (c >= 0) return { file, line: i + 1, column: c + 1 };
      }
    }
    return undefined;
  };
}

/** `text` with every comment's characters turned into spaces (lines and columns unchanged). */
export function withoutComments(text: string): string {
  let out = '';
  let quote = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quote) {
      out += c;
      if (c === '\\' && i + 1 < text.length) out += text[++i];
      else if (c === quote) quote = '';
      i++;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
      out += c;
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) out += text[i] === '\n' ? '\n' : ' ';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * Reads the spec's safetensors file (relative to the script) and loads it into the store, in the
 * layout the spec states ('torch' by default: nn.Linear weights [out, in] transposed).
 */
function weightsLoader(spec: SimulationSpec, file: string, locate: (n: string) => SourceLocation | undefined, log: string[]): (store: WeightStore) => void {
  const { file: rel, layout } = weightsSpecOf(spec.weights!);
  const at = locate(rel);
  const abs = path.resolve(path.dirname(file), rel);
  if (!existsSync(abs)) throw new RunnerError('load', `the weights file ${rel} does not exist (looked for ${abs})`, { fix: 'give weights: a .safetensors path relative to the script', source: at });
  if (!statSync(abs).isFile()) throw new RunnerError('load', `the weights "${rel}" is a folder (${abs}), not a .safetensors file`, { fix: 'give weights: the path of the .safetensors file itself, relative to the script', source: at });
  const model = spec.model as (Partial<HFCheckpointMapping> & object) | undefined;
  const mapping = layoutMapping(layout, model);
  return (store: WeightStore) => {
    const bytes = new Uint8Array(readFileSync(abs));
    const parsed = parseSafetensors(bytes);
    try {
      checkLayout(layout, safetensorsMetadata(bytes), parsed, model, rel);
    } catch (e) {
      if (e instanceof SimError) throw new RunnerError('load', e.headline, { fix: e.fix, source: at });
      throw e;
    }
    if (!spec.model) {
      // a custom program: every tensor of the file, as stored, by its name in the file
      for (const [name, t] of parsed) {
        store.declare(name, t.shape, ZEROS);
        store.load(name, t.data);
      }
      log.push(`loaded ${parsed.size} tensors from ${rel} for the program (as stored)`);
      return;
    }
    const r = loadIntoStore(store, parsed, mapping);
    const transposed = r.loaded.filter((n) => mapping.hfTensorLayout(n) === 'transpose').length;
    log.push(`loaded ${r.loaded.length} tensors from ${rel} (${layout} layout${transposed ? `: ${transposed} [out, in] weights transposed` : ''})` +
      (r.prefixes?.length ? ` (their names under ${r.prefixes.map((p) => `"${p}"`).join(', ')} in the file)` : '') +
      (r.missing.length ? `; ${r.missing.length} parameters not in the file keep synthetic values (${r.missing.slice(0, 4).join(', ')}${r.missing.length > 4 ? ', …' : ''})` : '') +
      (r.unexpected.length ? `; ${r.unexpected.length} tensors of the file are not in the model (${r.unexpected.slice(0, 4).join(', ')}${r.unexpected.length > 4 ? ', …' : ''})` : ''));
  };
}
