import type { RankContext } from '../core/context.js';
import { ConfigError, SimError } from '../core/errors.js';
import type { SourceLocation } from '../core/source.js';
import { Embedding } from '../models/nn/embedding.js';
import { Linear } from '../models/nn/linear.js';
import { assignPaths, buildQuietly, moduleEntries, replaceChild, type Module } from '../models/nn/module.js';
import type { WeightStore } from '../models/weights.js';
import { axisInfo } from './axis.js';
import { ColumnParallelLinear } from './column.js';
import { RowParallelLinear } from './row.js';
import { ModuleWeights } from './shard-weights.js';
import { ParallelLMHead, VocabParallelEmbedding } from './vocab.js';

/**
 * How to parallelize one module, in PyTorch DTensor's words:
 *   "colwise"  Linear → ColumnParallelLinear (a fused q|k|v weight is split per block);
 *              a tied LM head → ParallelLMHead over the vocab-parallel embedding
 *   "rowwise"  Linear → RowParallelLinear; Embedding → VocabParallelEmbedding (rows = vocab)
 *   "vocab"    Embedding → VocabParallelEmbedding
 * Object forms take DTensor's layout options: `outputLayout: "replicate"` (= gatherOutput) for
 * colwise, `inputLayout: "replicate"` (= inputIsParallel false) for rowwise, `sequenceParallel`.
 */
export type PlanStyle =
  | 'colwise'
  | 'rowwise'
  | 'vocab'
  | { readonly style: 'colwise'; readonly outputLayout?: 'shard' | 'replicate'; readonly sequenceParallel?: boolean }
  | { readonly style: 'rowwise'; readonly inputLayout?: 'shard' | 'replicate'; readonly sequenceParallel?: boolean }
  | { readonly style: 'vocab' };

/** Module-name patterns (fnmatch: `*` matches anything) → style, like torch's parallelize_module. */
export type Plan = Readonly<Record<string, PlanStyle>>;

export interface PlanOptions {
  readonly axis?: string;
  /** Finds the line of the person's script that holds a plan key (for reports). */
  readonly locate?: (needle: string) => SourceLocation | undefined;
}

export function patternToRegExp(pattern: string): RegExp {
  const esc = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

/** Rewrite `root` on this rank according to `plan`; returns the paths replaced per pattern. */
export function applyPlan(ctx: RankContext, store: WeightStore, root: Module, plan: Plan, opts: PlanOptions = {}): Map<string, string[]> {
  // the new modules' lines are the plan's keys (opts.locate), not frames of AutoDist's own
  return buildQuietly(() => applyPlanInner(ctx, store, root, plan, opts));
}

function applyPlanInner(ctx: RankContext, store: WeightStore, root: Module, plan: Plan, opts: PlanOptions): Map<string, string[]> {
  // an error in applying one key (a split that does not divide, a style the module has not) is
  // placed at that key's line, the only line of the person's that made it
  let key: string | undefined;
  try {
    return applyKeys(ctx, store, root, plan, opts, (k) => (key = k));
  } catch (err) {
    const at = key === undefined ? undefined : opts.locate?.(key);
    if (!(err instanceof SimError) || err.source || !at) throw err;
    // "rank r: …", so that every rank's error merges into one sentence
    const headline = `rank ${ctx.rank}: ${err.headline.startsWith('plan "') ? err.headline : `plan "${key}": ${err.headline}`}`;
    throw new SimError(err.kind, headline, { ranks: [{ rank: ctx.rank, source: at, detail: 'the plan key' }], fix: err.fix, source: at });
  }
}

function applyKeys(ctx: RankContext, store: WeightStore, root: Module, plan: Plan, opts: PlanOptions, at: (key: string | undefined) => void): Map<string, string[]> {
  const axis = opts.axis ?? 'tp';
  const tp = axisInfo(ctx, axis);
  assignPaths(root);
  const entries = Object.entries(plan).map(([pattern, style]) => ({ pattern, style, re: patternToRegExp(pattern) }));
  const matched = new Map<string, string[]>(entries.map((e) => [e.pattern, []]));
  const entries0 = moduleEntries(root);
  const modules = entries0.map((e) => [e.path, e.module] as const);
  // Embeddings first, so a tied head can find its vocab-parallel embedding.
  const ordered = [...entries0.filter((e) => e.module instanceof Embedding), ...entries0.filter((e) => !(e.module instanceof Embedding))];
  const replaced = new Map<Module, Module>();
  for (const { path, module: m, parent, key } of ordered) {
    if (!path || !parent) continue;
    const e = entries.find((x) => x.re.test(path));
    if (!e) continue;
    at(e.pattern);
    matched.get(e.pattern)!.push(path);
    const style = typeof e.style === 'string' ? e.style : e.style.style;
    const o = typeof e.style === 'string' ? {} : (e.style as Record<string, unknown>);
    let next: Module;
    if (m instanceof Linear) {
      const w = new ModuleWeights(ctx, store, path);
      if (style === 'colwise') {
        const fused = m.fused ?? 1;
        next = new ColumnParallelLinear(fused > 1 ? w.splitFused(fused, tp) : w.split(1, tp), {
          axis,
          gatherOutput: o.outputLayout === 'replicate',
          sequenceParallel: o.sequenceParallel === true,
        });
      } else if (style === 'rowwise') {
        next = new RowParallelLinear(w.split(0, tp), { axis, inputIsParallel: o.inputLayout !== 'replicate', sequenceParallel: o.sequenceParallel === true });
      } else throw styleError(path, m, e.pattern, style);
    } else if (m instanceof Embedding) {
      if (style !== 'vocab' && style !== 'rowwise') throw styleError(path, m, e.pattern, style);
      next = new VocabParallelEmbedding(new ModuleWeights(ctx, store, path).weight.split(0, tp), { axis });
    } else if (isTiedHead(m)) {
      if (style !== 'colwise') throw styleError(path, m, e.pattern, style);
      const emb = replaced.get(m.embedding);
      if (!(emb instanceof VocabParallelEmbedding)) {
        throw new ConfigError(`plan "${e.pattern}": ${path} is tied to an embedding that is not vocab-parallel`, `also shard the embedding: add "${m.embedding.path}": "vocab" to the plan`, opts.locate?.(e.pattern));
      }
      next = new ParallelLMHead(emb, { axis });
    } else throw styleError(path, m, e.pattern, style);
    next.builtAt = opts.locate?.(e.pattern) ?? next.builtAt;
    replaced.set(m, next);
    replaceChild(parent, key, next);
    next.path = path;
  }
  at(undefined);
  for (const [pattern, paths] of matched) {
    if (paths.length === 0) {
      const names = modules.map(([p]) => p).filter((p) => p);
      throw new ConfigError(`plan pattern "${pattern}" matches no module`, `module names look like: ${suggest(pattern, names)}`, opts.locate?.(pattern));
    }
  }
  assignPaths(root);
  return matched;
}

function isTiedHead(m: Module): m is Module & { embedding: Module } {
  return 'embedding' in m && (m as { embedding?: unknown }).embedding instanceof Embedding;
}

function styleError(path: string, m: Module, pattern: string, style: string): ConfigError {
  return new ConfigError(
    `plan "${pattern}": cannot apply "${style}" to ${path}, a ${m.kind}`,
    m instanceof Linear ? 'use "colwise" or "rowwise" for linear layers' : m instanceof Embedding ? 'use "vocab" for embeddings' : `"${style}" applies to linear layers and embeddings; target the linear layers inside ${path} (e.g. "${path}.*")`,
  );
}

/** The module names closest to a pattern: most shared path segments first. */
function suggest(pattern: string, names: string[]): string {
  const want = pattern.split('.').filter((x) => x !== '*' && x !== '');
  const score = (n: string) => {
    const segs = n.split('.');
    return want.reduce((a, w) => a + (segs.includes(w) ? 2 : segs.some((s) => s.includes(w) || w.includes(s)) ? 1 : 0), 0);
  };
  return [...names]
    .map((n) => ({ n, s: score(n) }))
    .sort((a, b) => b.s - a.s || a.n.length - b.n.length)
    .slice(0, 6)
    .map((x) => x.n)
    .join(', ');
}
