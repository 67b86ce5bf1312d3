import { Mesh } from '../core/mesh.js';
import type { SimulationSpec } from '../parallel/simulation/spec.js';
import { RunnerError } from './errors.js';

export const GiB = 2 ** 30;
export const DEFAULT_MAX_MEMORY_BYTES = 4 * GiB;

/**
 * How much host memory a numeric-mode run needs, estimated from the spec alone — before any
 * tensor exists. Values are float32 (4 bytes) whatever the declared dtype.
 *
 *   total = 4 B × [ P·(3 + 2·W) + A(B, S)·2 + A(B/dp, S)·W ]
 *
 *   P        parameters (the model spec's paramCount)
 *   W        ranks (world size)
 *   P·3      the dense checkpoint, and the unsharded reference's two gradient sets
 *            (AutoDist's backward and TensorFlow.js autodiff)
 *   P·2·W    each rank's shards and their gradients (at most the whole model each)
 *   A(b, S)  every tensor one forward + backward pass makes on b×S tokens (a run keeps them
 *            all until it ends), counted twice for the reference (its autodiff replay) and
 *            once per rank at the full layer width: an upper bound, since tensor-parallel
 *            ranks hold 1/tp of the wide activations
 *
 *   A(b, S) = b·S·[ L·(24·H + 8·F + 10·nh·S) + 10·V ]   transformers (GPT-2, Llama, …)
 *   A(b, S) = b·S·(8·H + 6·F)                           the FFN
 *
 * with H the width, F the MLP width, L layers, nh heads, V the vocabulary. The coefficients
 * were fitted to TensorFlow.js's allocated bytes on small GPT-2 and FFN runs and rounded up
 * (the estimate is 15–35 % above what those runs allocate).
 */
export interface MemoryEstimate {
  readonly totalBytes: number;
  readonly paramBytes: number;
  readonly activationBytes: number;
  readonly params: number;
  readonly ranks: number;
  /** Elements one pass makes per token (A / (b·S)); 0 when the model's shape is unknown. */
  readonly activationsPerToken: number;
}

/** The estimate for a numeric run of `spec`; undefined in meta mode or without a model. */
export function estimateNumericMemory(spec: SimulationSpec): MemoryEstimate | undefined {
  if ((spec.mode ?? 'numeric') !== 'numeric' || !spec.model || !spec.input) return undefined;
  const mesh = new Mesh(spec.mesh);
  const W = mesh.worldSize;
  const dp = mesh.has('dp') ? mesh.size('dp') : 1;
  const P = spec.model.paramCount();
  const perToken = activationsPerToken(spec.model.name, spec.model.config, spec.input.seq);
  const { batch, seq } = spec.input;
  const act = (b: number) => b * seq * perToken;
  const paramBytes = 4 * P * (3 + 2 * W);
  const activationBytes = 4 * (2 * act(batch) + W * act(batch / dp));
  return { totalBytes: paramBytes + activationBytes, paramBytes, activationBytes, params: P, ranks: W, activationsPerToken: perToken };
}

function activationsPerToken(name: string, config: unknown, seq: number): number {
  const c = (config ?? {}) as Record<string, unknown>;
  const num = (...keys: string[]) => {
    for (const k of keys) if (typeof c[k] === 'number' && Number.isFinite(c[k])) return c[k] as number;
    return undefined;
  };
  const H = num('hidden', 'nEmbd', 'hiddenSize', 'dModel', 'dim');
  if (H === undefined) return 0;
  const F = num('ffnHidden', 'nInner', 'intermediateSize') ?? 4 * H;
  if (name === 'ffn') return 8 * H + 6 * F;
  const L = num('nLayer', 'numHiddenLayers', 'nLayers') ?? 1;
  const nh = num('nHead', 'numAttentionHeads') ?? 0;
  const V = num('vocab', 'vocabSize') ?? 0;
  return L * (24 * H + 8 * F + 10 * nh * seq) + 10 * V;
}

/** Refuse a numeric run whose estimate is above `limitBytes`, saying what it would need. */
export function checkMemory(spec: SimulationSpec, limitBytes: number): MemoryEstimate | undefined {
  const est = estimateNumericMemory(spec);
  if (est && est.totalBytes > limitBytes) {
    throw new RunnerError(
      'memory-limit',
      `a numeric simulation of this script would need about ${fmtGiB(est.totalBytes)} of memory (estimate: ${fmtGiB(est.paramBytes)} for ${fmtCount(est.params)} parameters ` +
        `on ${est.ranks} rank${est.ranks > 1 ? 's' : ''} and the reference, ${fmtGiB(est.activationBytes)} of activations), above the limit of ${fmtGiB(limitBytes)}`,
      { fix: 'simulate shapes, bytes and time only with --meta (mode: "meta"), use a smaller model or batch, or raise the limit with --max-memory GB' },
    );
  }
  return est;
}

export function fmtGiB(bytes: number): string {
  const g = bytes / GiB;
  return g >= 100 ? `${g.toFixed(0)} GiB` : g >= 1 ? `${g.toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function fmtCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n);
}
