import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SourceLocation } from '../core/source.js';
import { isSimulationSpec, type SimulationSpec } from '../parallel/simulation/spec.js';
import { ScriptModules, type ModuleFn } from './module-loader.js';

/** What a rank takes from its own copy of the script: the functions that run on it. */
export type RankFunctions = Pick<SimulationSpec, 'program' | 'parallelize' | 'loss'>;

/**
 * At most this many ranks get their own copy of the script's modules; past it, ranks share the
 * first-loaded copy and the run warns at the script's module-level state (a meta world can hold
 * 2^21 ranks; folding runs only a few of them, and only ranks that run are loaded).
 */
export const RANK_MODULES_MAX = 4096;

/**
 * Per-rank module state, as under torchrun, where each rank is a process that runs the script's
 * top level itself: rank r's program, parallelize and loss come from rank r's own evaluation of
 * the script and every helper module it imports (own `let counter = 0`, own `new Map()`), made
 * the first time rank r asks. The files are transpiled and compiled once (a shared cache); each
 * rank runs their top level once. AutoDist itself and node_modules packages stay shared.
 */
export class RankModules {
  private readonly compiled = new Map<string, ModuleFn>();
  private readonly own = new Map<number, RankFunctions>();
  /** Ranks that asked past the limit and share the first-loaded copy. */
  readonly sharedRanks: number[] = [];

  constructor(
    private readonly file: string,
    private readonly builtins: Readonly<Record<string, unknown>>,
    private readonly limit = RANK_MODULES_MAX,
  ) {}

  /** Rank `rank`'s own functions, or undefined past the limit (the caller uses the shared spec). */
  forRank(rank: number): RankFunctions | undefined {
    const hit = this.own.get(rank);
    if (hit) return hit;
    if (this.own.size >= this.limit) {
      this.sharedRanks.push(rank);
      return undefined;
    }
    const exports = new ScriptModules(this.builtins, this.compiled).load(this.file) as Record<string, unknown> | null;
    const spec = exports && typeof exports === 'object' && 'default' in exports ? exports.default : exports;
    // the first load checked the export; a script whose top level answers differently per load
    // (randomness, a file that changed) still gives every rank what the first load gave
    const fns: RankFunctions = isSimulationSpec(spec) ? { program: spec.program, parallelize: spec.parallelize, loss: spec.loss } : {};
    this.own.set(rank, fns);
    return fns;
  }

  /** The person's files the ranks loaded (the script and its helper modules). */
  get files(): string[] {
    return [...this.compiled.keys()];
  }

  /** How many ranks have their own copy. */
  get loaded(): number {
    return this.own.size;
  }
}

/** Whether a spec runs any function of the person's on the ranks (else module state cannot differ per rank). */
export function hasRankFunctions(spec: SimulationSpec): boolean {
  return typeof spec.program === 'function' || typeof spec.parallelize === 'function' || typeof spec.loss === 'function';
}

/**
 * The script's module-level state that ranks past the limit share: top-level `let` / `var`
 * bindings and top-level `const`s holding a fresh array, object, Map or Set, with their lines.
 */
export function moduleStateLines(file: string, text = readFileSync(file, 'utf8')): SourceLocation[] {
  const out: SourceLocation[] = [];
  const decl = /^(?:export\s+)?(?:(?:let|var)\s+[A-Za-z_$]|const\s+[A-Za-z_$][\w$]*\s*(?::[^=]+)?=\s*(?:\[|\{|new\s+(?:Map|Set|WeakMap|Array|Object)\b))/;
  text.split('\n').forEach((line, i) => {
    if (decl.test(line)) out.push({ file: path.resolve(file), line: i + 1, column: 1 });
  });
  return out;
}
