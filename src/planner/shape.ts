/**
 * The transformer shape the planner's formulas read, taken from a model spec (GPT-2 family or
 * Llama family), and its parameter counts by where they live under tensor/pipeline parallelism.
 *
 * Vocabulary (Korthikanti et al. 2022 §2): l layers, h hidden, a heads, s sequence, b micro-batch,
 * V vocabulary, F MLP width, hq = a·hd query width, hkv = nkv·hd key/value width, t tp size.
 *
 * Parameters of one layer:
 *   attention   h·hq + 2·h·hkv + hq·h  (+ biases)     split over tp (colwise q|k|v, rowwise o)
 *   MLP         GeLU: 2·h·F; SwiGLU: 3·h·F (+ biases) split over tp
 *   norms       LayerNorm 2·2h, RMSNorm 2·h; row-parallel biases (o, down)   replicated on every tp rank
 * Embedding V·h (vocab-parallel: V/t rows per rank) + learned positions (replicated);
 * LM head h·V (column-parallel) unless tied; final norm replicated.
 */
import { ConfigError } from '../core/errors.js';
import type { ModelSpec } from '../models/model.js';
import type { PlannerModel } from './presets.js';

export interface TransformerShape {
  readonly name: string;
  readonly family: 'gpt2' | 'llama';
  /** l */
  readonly layers: number;
  /** h */
  readonly hidden: number;
  /** a: query heads. */
  readonly heads: number;
  /** Key/value heads (GQA); = a without GQA. */
  readonly kvHeads: number;
  readonly headDim: number;
  /** F */
  readonly ffn: number;
  /** SwiGLU (gate, up, down) instead of GeLU (fc, proj). */
  readonly gatedMlp: boolean;
  /** V */
  readonly vocab: number;
  readonly norm: 'layernorm' | 'rmsnorm';
  readonly dropout: boolean;
  readonly tiedEmbeddings: boolean;
  /** Rows of a learned position table (0 with RoPE). */
  readonly positionTable: number;
  /** Longest sequence the model takes (GPT-2: its position table; Llama: max_position_embeddings). */
  readonly maxPositions: number;
  /** Parameters of one layer split over tp (weights of the parallel linears and their column biases). */
  readonly layerShardedParams: number;
  /** Parameters of one layer every tp rank holds whole (norms, row-parallel biases). */
  readonly layerReplicatedParams: number;
  /** Token embedding table V·h. */
  readonly embeddingParams: number;
  /** Position table, replicated. */
  readonly positionParams: number;
  /** Untied LM head h·V (0 when tied). */
  readonly headParams: number;
  /** Final norm, replicated. */
  readonly finalNormParams: number;
  /** Every parameter of the model, once. */
  readonly totalParams: number;
}

/** hq = a·hd */
export const queryWidth = (m: TransformerShape): number => m.heads * m.headDim;
/** hkv = nkv·hd */
export const kvWidth = (m: TransformerShape): number => m.kvHeads * m.headDim;
/** Parameters of one whole layer. */
export const layerParams = (m: TransformerShape): number => m.layerShardedParams + m.layerReplicatedParams;

interface Gpt2Like {
  nLayer: number;
  nEmbd: number;
  nHead: number;
  vocab: number;
  nPositions: number;
  nInner: number;
}
interface LlamaLike {
  nLayer: number;
  hidden: number;
  nHead: number;
  nKvHead: number;
  ffnHidden: number;
  vocab: number;
  headDim: number;
  tieEmbeddings: boolean;
  maxPositions: number;
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
}

/** The shape of a planner model; throws a ConfigError for a spec that is not a GPT-2 or Llama transformer. */
export function shapeOf(pm: PlannerModel): TransformerShape {
  const spec = pm.spec as ModelSpec<unknown>;
  const c = spec.config as Record<string, unknown>;
  if (typeof c.nEmbd === 'number') return gpt2Shape(pm.id, c as unknown as Gpt2Like, pm.dropout);
  if (typeof c.ffnHidden === 'number' && typeof c.hidden === 'number') return llamaShape(pm.id, c as unknown as LlamaLike, pm.dropout);
  throw new ConfigError(`the planner models GPT-2- and Llama-style transformers; "${spec.name}" is neither`, 'use a preset (llama-3-8b, llama-3-70b, llama-3-405b, gpt3-175b) or an HF config.json of model_type llama, mistral, qwen2 or gpt2');
}

function gpt2Shape(name: string, c: Gpt2Like, dropout: boolean): TransformerShape {
  const h = c.nEmbd;
  const F = c.nInner;
  // c_attn W [h, 3h] + b 3h, c_proj W [h, h], c_fc W [h, F] + b F, mlp.c_proj W [F, h]: split over tp
  const sharded = 3 * h * h + 3 * h + h * h + h * F + F + F * h;
  // ln_1, ln_2 (weight + bias), the two row-parallel biases: whole on every rank
  const replicated = 4 * h + 2 * h;
  return finish({
    name,
    family: 'gpt2',
    layers: c.nLayer,
    hidden: h,
    heads: c.nHead,
    kvHeads: c.nHead,
    headDim: h / c.nHead,
    ffn: F,
    gatedMlp: false,
    vocab: c.vocab,
    norm: 'layernorm',
    dropout,
    tiedEmbeddings: true,
    positionTable: c.nPositions,
    maxPositions: c.nPositions,
    layerShardedParams: sharded,
    layerReplicatedParams: replicated,
    embeddingParams: c.vocab * h,
    positionParams: c.nPositions * h,
    headParams: 0,
    finalNormParams: 2 * h,
  });
}

function llamaShape(name: string, c: LlamaLike, dropout: boolean): TransformerShape {
  const h = c.hidden;
  const hq = c.nHead * c.headDim;
  const hkv = c.nKvHead * c.headDim;
  const F = c.ffnHidden;
  const sharded = h * hq + 2 * h * hkv + hq * h + (c.qkvBias ? hq + 2 * hkv : 0) + 3 * h * F + (c.mlpBias ? 2 * F : 0);
  const replicated = 2 * h + (c.oBias ? h : 0) + (c.mlpBias ? h : 0);
  return finish({
    name,
    family: 'llama',
    layers: c.nLayer,
    hidden: h,
    heads: c.nHead,
    kvHeads: c.nKvHead,
    headDim: c.headDim,
    ffn: F,
    gatedMlp: true,
    vocab: c.vocab,
    norm: 'rmsnorm',
    dropout,
    tiedEmbeddings: c.tieEmbeddings,
    positionTable: 0,
    maxPositions: c.maxPositions,
    layerShardedParams: sharded,
    layerReplicatedParams: replicated,
    embeddingParams: c.vocab * h,
    positionParams: 0,
    headParams: c.tieEmbeddings ? 0 : h * c.vocab,
    finalNormParams: h,
  });
}

function finish(s: Omit<TransformerShape, 'totalParams'>): TransformerShape {
  const total = s.layers * (s.layerShardedParams + s.layerReplicatedParams) + s.embeddingParams + s.positionParams + s.headParams + s.finalNormParams;
  return Object.freeze({ ...s, totalParams: total });
}
