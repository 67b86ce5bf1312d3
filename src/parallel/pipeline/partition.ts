import { ConfigError } from '../../core/errors.js';

/**
 * How to cut a model's layers into pipeline stages, with DeepSpeed's `partition_method` names:
 *   "uniform"      the same number of layers per stage (as balanced as the count allows)
 *   "parameters"   balance the parameter counts
 *   "type:REGEX"   balance the number of layers whose name or class matches REGEX
 *   [b0, b1, …]    explicit boundaries: stage i holds layers [b_i, b_{i+1}); give `stages`
 *                  starts, or `stages + 1` numbers ending with the layer count
 */
export type PartitionMethod = 'uniform' | 'parameters' | `type:${string}` | readonly number[];

export interface LayerInfo {
  readonly name: string;
  readonly kind: string;
  readonly params: number;
}

/** Layers [start, end) of one (global) stage. */
export interface StageRange {
  readonly stage: number;
  readonly start: number;
  readonly end: number;
}

export function partition(layers: readonly LayerInfo[], stages: number, method: PartitionMethod = 'uniform'): StageRange[] {
  const n = layers.length;
  if (!Number.isInteger(stages) || stages < 1) throw new ConfigError(`the pipeline needs a whole number of stages ≥ 1, got ${stages}`);
  if (stages > n) {
    throw new ConfigError(`${stages} pipeline stages but only ${n} layers to place`, `use at most ${n} stages (pp × virtual stages ≤ layers), or a model with more layers`);
  }
  if (Array.isArray(method)) return explicit(method as readonly number[], n, stages);
  let weights: number[];
  if (method === 'uniform') return uniform(n, stages);
  if (method === 'parameters') weights = layers.map((l) => Math.max(l.params, 0));
  else if (typeof method === 'string' && method.startsWith('type:')) {
    let re: RegExp;
    try {
      re = new RegExp(method.slice(5), 'i');
    } catch (e) {
      throw new ConfigError(`partition method "${method}" has a bad regular expression: ${(e as Error).message}`);
    }
    weights = layers.map((l) => (re.test(l.name) || re.test(l.kind) ? 1 : 0));
    const hits = weights.reduce((a, b) => a + b, 0);
    if (hits < stages) throw new ConfigError(`partition "${method}" matches ${hits} layers, fewer than the ${stages} stages`, `layer names look like ${layers.slice(0, 4).map((l) => l.name).join(', ')}`);
  } else throw new ConfigError(`unknown partition method "${String(method)}"`, 'use "uniform", "parameters", "type:REGEX" or explicit boundaries [0, 6, 12, …]');
  return balanced(weights, stages);
}

/** DeepSpeed's partition_uniform: ⌊n/k⌋ layers each, the first n mod k stages one more. */
function uniform(n: number, k: number): StageRange[] {
  const base = Math.floor(n / k);
  const extra = n % k;
  let start = 0;
  return Array.from({ length: k }, (_, stage) => {
    const end = start + base + (stage < extra ? 1 : 0);
    const r = { stage, start, end };
    start = end;
    return r;
  });
}

function explicit(b: readonly number[], n: number, stages: number): StageRange[] {
  const bounds = b.length === stages ? [...b, n] : [...b];
  if (bounds.length !== stages + 1) throw new ConfigError(`explicit stage boundaries [${b.join(', ')}] do not describe ${stages} stages`, `give ${stages} start indices (e.g. [${Array.from({ length: stages }, (_, i) => Math.floor((i * n) / stages)).join(', ')}])`);
  if (bounds[0] !== 0 || bounds[stages] !== n) throw new ConfigError(`explicit stage boundaries must start at 0 and end at the layer count ${n}, got [${bounds.join(', ')}]`);
  for (let i = 0; i < stages; i++) {
    if (!(bounds[i + 1] > bounds[i])) throw new ConfigError(`stage ${i} gets no layer: boundaries [${bounds.join(', ')}] must increase`);
  }
  return Array.from({ length: stages }, (_, i) => ({ stage: i, start: bounds[i], end: bounds[i + 1] }));
}

/**
 * Contiguous parts minimising the heaviest part (ties: earlier stages get fewer layers, as
 * Megatron gives the first stage the embedding). Every stage gets at least one layer.
 */
function balanced(w: readonly number[], k: number): StageRange[] {
  const n = w.length;
  const pre = [0];
  for (const x of w) pre.push(pre[pre.length - 1] + x);
  const sum = (i: number, j: number) => pre[j] - pre[i];
  // best[j][i]: minimal max weight splitting the first i layers into j parts
  const INF = Number.POSITIVE_INFINITY;
  const best: number[][] = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(INF));
  const cut: number[][] = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(0));
  best[0][0] = 0;
  for (let j = 1; j <= k; j++) {
    for (let i = j; i <= n - (k - j); i++) {
      for (let t = j - 1; t < i; t++) {
        const v = Math.max(best[j - 1][t], sum(t, i));
        // prefer the later cut on ties: earlier stages stay lighter
        if (v < best[j][i] || (v === best[j][i] && t > cut[j][i])) {
          best[j][i] = v;
          cut[j][i] = t;
        }
      }
    }
  }
  const ends: number[] = [];
  let i = n;
  for (let j = k; j >= 1; j--) {
    ends.push(i);
    i = cut[j][i];
  }
  ends.reverse();
  let start = 0;
  return ends.map((end, stage) => {
    const r = { stage, start, end };
    start = end;
    return r;
  });
}
