/**
 * How a plan lays the model's l layers on its pp pipeline ranks × v model chunks, and the context-
 * parallel size — the layouts people run:
 *   even       l divisible by pp·v: every chunk holds c = l/(pp·v) layers;
 *   uneven     otherwise, c = ⌈l/(pp·v)⌉ with the first chunk of the first stage and the last
 *              chunk of the last stage one layer short (short = pp·v·c − l ∈ {1, 2}; with one,
 *              the last stage, which also carries the LM head) — Megatron's
 *              --decoder-first/last-pipeline-num-layers, e.g. Llama-3-405B's 126 layers on
 *              pp = 16 (Llama 3 §3.3.2: "one Transformer layer is reduced each from the first and
 *              the last stages"); a chunk may be left with no layer (only the embedding or the head).
 * Global chunk g = k·pp + s is model chunk k of pipeline rank s (Megatron's interleaving order).
 */
import type { ParallelPlan } from './plan.js';

/** Context-parallel size of a plan (1 when unset). */
export const cpOf = (p: Pick<ParallelPlan, 'cp'>): number => p.cp ?? 1;

/** Layers of each global chunk g = k·pp + s, or a reason the layers cannot be laid out. */
export function chunkLayers(layers: number, pp: number, v: number): number[] | string {
  const chunks = pp * v;
  const c = Math.ceil(layers / chunks);
  const short = chunks * c - layers;
  const what = v === 1 ? `pp=${pp} stages` : `pp×v = ${pp}×${v} chunks`;
  if (short === 0) return Array.from({ length: chunks }, () => c);
  if (pp === 1 || short > 2) return `${layers} layers do not split into ${what} (evenly, or with the first and last stage one layer short)`;
  const out = Array.from({ length: chunks }, () => c);
  out[chunks - 1] -= 1;
  if (short === 2) out[0] -= 1;
  return out;
}

/**
 * The chunk sizes of pipeline rank `stage` in closed form (no array of all chunks): v chunks of c
 * layers, the first one short on the first stage when two are short, the last one short on the
 * last stage. Undefined when the layers cannot be laid out.
 */
function stageChunks(layers: number, pp: number, v: number, stage: number): { c: number; firstShort: boolean; lastShort: boolean } | undefined {
  const c = Math.ceil(layers / (pp * v));
  const short = pp * v * c - layers;
  if (short !== 0 && (pp === 1 || short > 2)) return undefined;
  return { c, firstShort: short === 2 && stage === 0, lastShort: short >= 1 && stage === pp - 1 };
}

/** Layers pipeline rank `stage` holds over its v chunks. */
export function stageLayerCount(layers: number, plan: Pick<ParallelPlan, 'pp' | 'virtual'>, stage: number): number {
  const x = stageChunks(layers, plan.pp, plan.virtual, stage);
  if (!x) return layers / plan.pp;
  return plan.virtual * x.c - (x.firstShort ? 1 : 0) - (x.lastShort ? 1 : 0);
}

/** Whether the layout is uneven (some chunk one layer short). */
export function isUneven(layers: number, plan: Pick<ParallelPlan, 'pp' | 'virtual'>): boolean {
  return layers % (plan.pp * plan.virtual) !== 0;
}

/**
 * Layers of each chunk that are recomputed whole with `recompute: 'full'` (Megatron
 * --recompute-method block --recompute-num-layers r): r of a chunk of c layers, all when unset.
 */
export function recomputedInChunk(plan: Pick<ParallelPlan, 'recompute' | 'recomputeLayers'>, chunkSize: number): number {
  if (plan.recompute !== 'full') return 0;
  return plan.recomputeLayers === undefined ? chunkSize : Math.min(plan.recomputeLayers, chunkSize);
}

/** Fraction of the stage's layers recomputed whole: Σ over its chunks min(r, c_k) / Σ c_k. */
export function recomputedFraction(layers: number, plan: Pick<ParallelPlan, 'pp' | 'virtual' | 'recompute' | 'recomputeLayers'>, stage: number): number {
  if (plan.recompute !== 'full') return 0;
  const x = stageChunks(layers, plan.pp, plan.virtual, stage);
  if (!x) return 1;
  const shorts = (x.firstShort ? 1 : 0) + (x.lastShort ? 1 : 0);
  const all = plan.virtual * x.c - shorts;
  const redo = (plan.virtual - shorts) * recomputedInChunk(plan, x.c) + shorts * recomputedInChunk(plan, x.c - 1);
  return all > 0 ? redo / all : 0;
}
