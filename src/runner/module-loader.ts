import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { compileFunction } from 'node:vm';
import { transform, type Transform } from 'sucrase';
import { RunnerError } from './errors.js';

/**
 * A small CommonJS loader for the person's scripts. TypeScript (and ESM-syntax JavaScript) is
 * transpiled by sucrase, which keeps every line where it was, so stack frames, captured source
 * locations and inline hints land on the person's own lines; then the code is compiled with the
 * script's absolute path as its file name and run as a CommonJS module.
 *
 *   require("autodist")      → the running AutoDist module (the same instance: same classes)
 *   require("./other.ts")    → through this loader (relative .ts/.js/.json, index files)
 *   require("anything-else") → node's own resolution from the script's folder (node_modules)
 */
export class ScriptModules {
  private readonly cache = new Map<string, { exports: unknown }>();

  /** The files being loaded, outermost first. */
  private readonly loading: string[] = [];
  /** Circular imports met so far: each a chain of files from the one required again back to it. */
  readonly cycles: string[][] = [];

  /**
   * `builtins` maps bare specifiers to module objects, e.g. { autodist: api }. `compiled` may be
   * shared by several loaders of the same files (each rank's own modules: rank-modules.ts): a file
   * is transpiled and compiled once, and each loader runs it with its own module object.
   */
  constructor(
    private readonly builtins: Readonly<Record<string, unknown>>,
    private readonly compiled: Map<string, ModuleFn> = new Map(),
  ) {}

  /** Load (once) and return the exports of a script file. */
  load(file: string): unknown {
    const abs = path.resolve(file);
    const hit = this.cache.get(abs);
    if (hit) {
      // required while it is still loading: a circular import (it gets the exports made so far)
      const i = this.loading.indexOf(abs);
      if (i >= 0) this.cycles.push([...this.loading.slice(i), abs]);
      return hit.exports;
    }
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new RunnerError('load', `no such file: ${abs}`, { fix: 'check the path of the script' });
    const text = readFileSync(abs, 'utf8');
    const module = { exports: {} as unknown };
    this.cache.set(abs, module);
    if (abs.endsWith('.json')) {
      module.exports = JSON.parse(text);
      return module.exports;
    }
    let fn = this.compiled.get(abs);
    if (!fn) {
      fn = compile(transpile(text, abs), abs);
      this.compiled.set(abs, fn);
    }
    const req = this.requireFrom(abs);
    this.loading.push(abs);
    try {
      fn.call(module.exports, module.exports, req, module, abs, path.dirname(abs));
    } catch (e) {
      this.cache.delete(abs);
      throw e;
    } finally {
      this.loading.pop();
    }
    return module.exports;
  }

  private requireFrom(file: string): NodeJS.Require {
    const nodeRequire = createRequire(file);
    const dir = path.dirname(file);
    const req = ((spec: string) => {
      if (Object.prototype.hasOwnProperty.call(this.builtins, spec)) return this.builtins[spec];
      if (spec.startsWith('.') || path.isAbsolute(spec)) {
        const target = resolveLocal(path.resolve(dir, spec));
        if (!target) throw new RunnerError('load', `cannot find "${spec}" required from ${file}`, { fix: 'check the relative path (.ts, .js and .json files are found with or without their extension)' });
        if (target.includes(`${path.sep}node_modules${path.sep}`)) return nodeRequire(target);
        return this.load(target);
      }
      return nodeRequire(spec);
    }) as NodeJS.Require;
    req.resolve = ((spec: string) => (spec.startsWith('.') || path.isAbsolute(spec) ? (resolveLocal(path.resolve(dir, spec)) ?? nodeRequire.resolve(spec)) : nodeRequire.resolve(spec))) as NodeJS.RequireResolve;
    req.cache = nodeRequire.cache;
    req.main = undefined;
    return req;
  }
}

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.cjs', '.mjs', '.json'];

/** A relative import's file: as written, with an extension added, "x.js" meaning "x.ts", or an index file. */
function resolveLocal(p: string): string | undefined {
  const isFile = (f: string) => existsSync(f) && statSync(f).isFile();
  if (isFile(p)) return p;
  for (const ext of EXTENSIONS) if (isFile(p + ext)) return p + ext;
  const m = /\.(m|c)?js$/.exec(p);
  if (m) {
    const ts = p.slice(0, -m[0].length) + `.${m[1] ?? ''}ts`;
    if (isFile(ts)) return ts;
  }
  for (const ext of EXTENSIONS) if (isFile(path.join(p, `index${ext}`))) return path.join(p, `index${ext}`);
  return undefined;
}

/** TypeScript / ESM → CommonJS, line for line. Parse errors carry the file:line:column. */
export function transpile(text: string, file: string): string {
  const transforms: Transform[] = /\.(c|m)?tsx?$/.test(file) ? ['typescript', 'imports'] : ['imports'];
  if (file.endsWith('x')) transforms.push('jsx');
  try {
    return transform(text, { transforms, filePath: file, disableESTransforms: true }).code;
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    const what = err.message.replace(/^Error transforming [^:]*: /, '').replace(/\s*\(\d+:\d+\)\s*$/, '');
    const source = err.loc ? { file, line: err.loc.line, column: err.loc.column } : undefined;
    throw new RunnerError('syntax', `syntax error in ${path.basename(file)}: ${what}${source ? ` at ${file}:${source.line}:${source.column}` : ''}`, { source });
  }
}

export type ModuleFn = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

function compile(code: string, file: string): ModuleFn {
  try {
    return compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file }) as unknown as ModuleFn;
  } catch (e) {
    // V8's SyntaxError: the first stack line is "file:line", the caret line gives the column.
    const err = e as Error;
    const lines = (err.stack ?? '').split('\n');
    const m = /:(\d+)$/.exec(lines[0] ?? '');
    const caret = lines.findIndex((l) => /^\s*\^+\s*$/.test(l));
    const source = m ? { file, line: Number(m[1]), column: caret > 0 ? lines[caret].indexOf('^') + 1 : 1 } : undefined;
    throw new RunnerError('syntax', `syntax error in ${path.basename(file)}: ${err.message}${source ? ` at ${file}:${source.line}:${source.column}` : ''}`, { source });
  }
}
