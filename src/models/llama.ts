import { add, mul, silu, swiglu } from '../core/ops/index.js';
import { fmt, shapeError } from '../core/ops/check.js';
import { ConfigError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { attentionKernelOf, selfAttention, type AttentionKernel } from './attention.js';
import { divisorNear, optional, positiveInt, required, TiedLMHead, tokenBatch } from './gpt2.js';
import { Model, memo, paramsOf, moduleLayer, type ModelSpec } from './model.js';
import { Embedding } from './nn/embedding.js';
import { Linear } from './nn/linear.js';
import { Module } from './nn/module.js';
import { RMSNorm } from './nn/norm.js';
import { Rope, type RopeScaling } from './rope.js';
import type { Params } from './weights.js';

export interface LlamaConfig {
  readonly nLayer: number;
  /** H: model width. */
  readonly hidden: number;
  /** nh: query heads. */
  readonly nHead: number;
  /** nkv: key/value heads (GQA), default nh. */
  readonly nKvHead?: number;
  /** F: MLP width. */
  readonly ffnHidden: number;
  /** V. */
  readonly vocab: number;
  /** hd, default H / nh (HF head_dim). */
  readonly headDim?: number;
  readonly ropeTheta?: number;
  readonly ropeScaling?: RopeScaling | null;
  readonly rmsNormEps?: number;
  /** lm_head shares embed_tokens' table (then there is no lm_head.weight). */
  readonly tieEmbeddings?: boolean;
  readonly maxPositions?: number;
  /** Biases on q_proj, k_proj, v_proj (Qwen2; Llama's attention_bias). */
  readonly qkvBias?: boolean;
  /** Bias on o_proj (Llama's attention_bias). */
  readonly oBias?: boolean;
  /** Biases on gate/up/down_proj (Llama's mlp_bias). */
  readonly mlpBias?: boolean;
  /** Mistral-style sliding-window attention span; sequences longer than it are refused (not modelled). */
  readonly slidingWindow?: number | null;
  /** The attention kernel: "flash" (default) or "unfused" (./attention.ts). */
  readonly attention?: AttentionKernel;
  /**
   * The MLP's SwiGLU: "unfused" (default: HF / torchtitan's `silu(gate) * up`, three F-wide tensors
   * kept for the backward) or "fused" (one kernel keeping gate and up, recomputing the SiLU:
   * Megatron's bias-SwiGLU fusion; ops.swiglu).
   */
  readonly swiglu?: 'unfused' | 'fused';
  /** The spec's name (HF model_type): "llama", "mistral", "qwen2". */
  readonly name?: string;
}

export type LlamaResolved = Required<LlamaConfig>;

/**
 * Llama attention (HF LlamaAttention), no biases unless configured:
 *   q = rope(x·W_q) [B, S, nh·hd],  k = rope(x·W_k), v = x·W_v [B, S, nkv·hd]
 *   y = attention(q, k, v)·W_o [B, S, H]
 */
export class LlamaAttention extends Module {
  q_proj: Module;
  k_proj: Module;
  v_proj: Module;
  o_proj: Module;
  readonly headDim: number;
  readonly rope: Rope;
  readonly kernel: AttentionKernel;
  /** Selective recomputation of the attention core (set by a simulation's `recompute: "selective"`). */
  recomputeCore = false;

  constructor(p: Params, c: LlamaResolved, rope: Rope) {
    super();
    const qw = c.nHead * c.headDim;
    const kvw = c.nKvHead * c.headDim;
    this.q_proj = Linear.create(p.scope('q_proj'), c.hidden, qw, { bias: c.qkvBias });
    this.k_proj = Linear.create(p.scope('k_proj'), c.hidden, kvw, { bias: c.qkvBias });
    this.v_proj = Linear.create(p.scope('v_proj'), c.hidden, kvw, { bias: c.qkvBias });
    this.o_proj = Linear.create(p.scope('o_proj'), qw, c.hidden, { bias: c.oBias });
    this.headDim = c.headDim;
    this.rope = rope;
    this.kernel = c.attention;
  }

  async forward(x: Tensor): Promise<Tensor> {
    const q = this.rope.apply(await this.q_proj.call(x)); // [B, S, nh·hd]
    const k = this.rope.apply(await this.k_proj.call(x)); // [B, S, nkv·hd]
    const v = await this.v_proj.call(x); // [B, S, nkv·hd]
    const y = selfAttention(q, k, v, this.headDim, { kernel: this.kernel, recomputeCore: this.recomputeCore }); // [B, S, nh·hd]
    return this.o_proj.call(y); // [B, S, H]
  }
}

/**
 * SwiGLU MLP (HF LlamaMLP): down(silu(gate(x)) ⊙ up(x)), W_gate, W_up [H, F], W_down [F, H]; with
 * `swiglu: "fused"` the activation is one kernel keeping only gate and up (ops.swiglu).
 */
export class LlamaMLP extends Module {
  gate_proj: Module;
  up_proj: Module;
  down_proj: Module;
  private readonly fused: boolean;

  constructor(p: Params, c: LlamaResolved) {
    super();
    this.fused = c.swiglu === 'fused';
    this.gate_proj = Linear.create(p.scope('gate_proj'), c.hidden, c.ffnHidden, { bias: c.mlpBias });
    this.up_proj = Linear.create(p.scope('up_proj'), c.hidden, c.ffnHidden, { bias: c.mlpBias });
    this.down_proj = Linear.create(p.scope('down_proj'), c.ffnHidden, c.hidden, { bias: c.mlpBias });
  }

  async forward(x: Tensor): Promise<Tensor> {
    const g = await this.gate_proj.call(x); // [B, S, F]
    const u = await this.up_proj.call(x); // [B, S, F]
    return this.down_proj.call(this.fused ? swiglu(g, u) : mul(silu(g), u)); // [B, S, H]
  }
}

/** Pre-norm block: x ← x + self_attn(input_layernorm(x));  x ← x + mlp(post_attention_layernorm(x)). */
export class LlamaDecoderLayer extends Module {
  input_layernorm: Module;
  self_attn: Module;
  post_attention_layernorm: Module;
  mlp: Module;

  constructor(p: Params, c: LlamaResolved, rope: Rope) {
    super();
    this.input_layernorm = new RMSNorm(p.scope('input_layernorm'), c.hidden, c.rmsNormEps);
    this.self_attn = new LlamaAttention(p.scope('self_attn'), c, rope);
    this.post_attention_layernorm = new RMSNorm(p.scope('post_attention_layernorm'), c.hidden, c.rmsNormEps);
    this.mlp = new LlamaMLP(p.scope('mlp'), c);
  }

  async forward(x: Tensor): Promise<Tensor> {
    const a = await this.self_attn.call(await this.input_layernorm.call(x)); // [B, S, H]
    const h = add(x, a); // [B, S, H]
    const m = await this.mlp.call(await this.post_attention_layernorm.call(h)); // [B, S, H]
    return add(h, m); // [B, S, H]
  }
}

/** The decoder stack (HF LlamaModel): ids [B, S] → norm(layers(embed_tokens[ids])) [B, S, H]. */
export class LlamaModel extends Module {
  embed_tokens: Embedding;
  layers: Module[];
  norm: Module;
  readonly slidingWindow: number | null;

  constructor(p: Params, c: LlamaResolved) {
    super();
    const rope = new Rope(c.headDim, c.ropeTheta, c.ropeScaling);
    this.embed_tokens = Embedding.create(p.scope('embed_tokens'), c.vocab, c.hidden);
    this.layers = Array.from({ length: c.nLayer }, (_, i) => new LlamaDecoderLayer(p.scope(`layers.${i}`), c, rope));
    this.norm = new RMSNorm(p.scope('norm'), c.hidden, c.rmsNormEps);
    this.slidingWindow = c.slidingWindow;
  }

  async forward(ids: Tensor): Promise<Tensor> {
    if (ids.ndim !== 2) throw shapeError(ids, `Llama takes token ids [B, S], got ${fmt(ids.shape)}`);
    if (this.slidingWindow !== null && ids.shape[1] > this.slidingWindow) {
      throw shapeError(ids, `sequence length ${ids.shape[1]} exceeds the sliding window ${this.slidingWindow}, which AutoDist does not model`, `use seq ≤ ${this.slidingWindow}`);
    }
    let x = await this.embed_tokens.call(ids); // [B, S, H]
    for (const layer of this.layers) x = await layer.call(x); // [B, S, H]
    return this.norm.call(x); // [B, S, H]
  }
}

/** HF LlamaForCausalLM: logits = model(ids)·W_lm, W_lm [H, V] (or embed_tokensᵀ when tied) → [B, S, V]. */
export class LlamaForCausalLM extends Model {
  model: LlamaModel;
  lm_head: Module;

  constructor(p: Params, c: LlamaResolved) {
    super();
    this.model = new LlamaModel(p.scope('model'), c);
    this.lm_head = c.tieEmbeddings ? new TiedLMHead(this.model.embed_tokens) : Linear.create(p.scope('lm_head'), c.hidden, c.vocab, { bias: false });
  }

  /** ids [B, S] int32 → logits [B, S, V] (the loss reshapes them to [B·S, V]). */
  async forward(ids: Tensor): Promise<Tensor> {
    const h = await this.model.call(ids); // [B, S, H]
    return this.lm_head.call(h); // [B, S, V]
  }

  /** embed_tokens[ids] → [B, S, H] (the first pipeline stage's part). */
  async embed(ids: Tensor): Promise<Tensor> {
    if (ids.ndim !== 2) throw shapeError(ids, `Llama takes token ids [B, S], got ${fmt(ids.shape)}`);
    return this.model.embed_tokens.call(ids);
  }

  /** norm then the LM head → logits [B, S, V] (the last pipeline stage's part). */
  async head(x: Tensor): Promise<Tensor> {
    return this.lm_head.call(await this.model.norm.call(x));
  }
}

/** HF stores nn.Linear weights [out, in]; ours are [in, out]. Embeddings, norms and biases are as-is. */
export function hfTensorLayout(name: string): 'transpose' | 'as-is' {
  return /(_proj|^lm_head)\.weight$/.test(name) ? 'transpose' : 'as-is';
}

/** Our name for an HF Llama checkpoint name (the same, "model." kept); null for RoPE buffers. */
export function fromHFName(hfName: string): string | null {
  return hfName.endsWith('.rotary_emb.inv_freq') ? null : hfName;
}

export function llama(cfg: LlamaConfig): ModelSpec<LlamaResolved, LlamaForCausalLM> & { hfTensorLayout: typeof hfTensorLayout; fromHFName: (n: string) => string | null } {
  const m = cfg.name ?? 'llama';
  const hidden = positiveInt(m, 'hidden', cfg.hidden);
  const nHead = positiveInt(m, 'nHead', cfg.nHead);
  const nKvHead = positiveInt(m, 'nKvHead', cfg.nKvHead ?? nHead);
  if (cfg.headDim === undefined && hidden % nHead !== 0) {
    throw new ConfigError(`${m} hidden ${hidden} is not divisible by nHead ${nHead}`, `choose nHead dividing ${hidden} (e.g. ${divisorNear(hidden, nHead)}), or set headDim explicitly`);
  }
  if (nHead % nKvHead !== 0) {
    throw new ConfigError(`${m} nHead ${nHead} is not a multiple of nKvHead ${nKvHead}: each kv head must serve a whole number of query heads`, `choose nKvHead dividing ${nHead} (e.g. ${divisorNear(nHead, nKvHead)})`);
  }
  const headDim = positiveInt(m, 'headDim', cfg.headDim ?? hidden / nHead);
  if (headDim % 2 !== 0) throw new ConfigError(`${m} head dim ${headDim} is odd; RoPE rotates pairs of dims`, 'choose hidden / nHead (or headDim) even');
  const sw = cfg.slidingWindow ?? null;
  const c: LlamaResolved = Object.freeze({
    nLayer: positiveInt(m, 'nLayer', cfg.nLayer),
    hidden,
    nHead,
    nKvHead,
    ffnHidden: positiveInt(m, 'ffnHidden', cfg.ffnHidden),
    vocab: positiveInt(m, 'vocab', cfg.vocab),
    headDim,
    ropeTheta: cfg.ropeTheta ?? 10000,
    ropeScaling: cfg.ropeScaling ?? null,
    rmsNormEps: cfg.rmsNormEps ?? 1e-6,
    tieEmbeddings: cfg.tieEmbeddings ?? false,
    maxPositions: positiveInt(m, 'maxPositions', cfg.maxPositions ?? 2048),
    qkvBias: cfg.qkvBias ?? false,
    oBias: cfg.oBias ?? false,
    mlpBias: cfg.mlpBias ?? false,
    slidingWindow: sw === null ? null : positiveInt(m, 'slidingWindow', sw),
    attention: attentionKernelOf(m, cfg.attention),
    swiglu: swigluOf(m, cfg.swiglu),
    name: m,
  });
  const { nLayer: L, hidden: H, ffnHidden: F, vocab: V } = c;
  const qw = c.nHead * c.headDim;
  const kvw = c.nKvHead * c.headDim;
  const attn = H * qw + 2 * H * kvw + qw * H + (c.qkvBias ? qw + 2 * kvw : 0) + (c.oBias ? H : 0);
  const mlp = 3 * H * F + (c.mlpBias ? 2 * F + H : 0);
  return {
    name: m,
    config: c,
    build: (p) => new LlamaForCausalLM(p, c),
    batch: (ctx, s, seed) => tokenBatch(ctx, s, seed, V),
    loss: 'cross_entropy',
    layerPaths: () => Array.from({ length: L }, (_, i) => `model.layers.${i}`),
    sequential: (model) => {
      const l = model as LlamaForCausalLM;
      return {
        pre: { name: 'embed', kind: 'Embedding', run: (ids) => l.embed(ids), parameters: memo(() => paramsOf(l.model.embed_tokens)) },
        blocks: l.model.layers.map((_, i) => moduleLayer(`model.layers.${i}`, () => l.model.layers[i])),
        post: { name: 'head', kind: 'LMHead', run: (x) => l.head(x), parameters: memo(() => paramsOf(l.model.norm, l.lm_head)) },
      };
    },
    // embed_tokens + L·(2 norms, attention, MLP) + norm (+ lm_head unless tied).
    paramCount: () => V * H + L * (2 * H + attn + mlp) + H + (c.tieEmbeddings ? 0 : H * V),
    hfTensorLayout,
    fromHFName: (n) => (c.tieEmbeddings && n === 'lm_head.weight' ? null : fromHFName(n)),
  };
}

/** HF rope_scaling → ours (null for none/"default"); variants that depend on the sequence are refused. */
function ropeScalingFromHF(v: unknown): RopeScaling | null {
  if (v === undefined || v === null) return null;
  const r = v as Record<string, unknown>;
  const type = r.rope_type ?? r.type;
  if (type === 'default') return null;
  const factor = required(r, 'factor');
  if (type === 'linear') return { type, factor };
  if (type === 'llama3') {
    return { type, factor, lowFreqFactor: required(r, 'low_freq_factor'), highFreqFactor: required(r, 'high_freq_factor'), originalMaxPositions: required(r, 'original_max_position_embeddings') };
  }
  throw new ConfigError(`rope_scaling type "${String(type)}" is not modelled`, 'supported: "default", "linear", "llama3"; remove rope_scaling to simulate without it');
}

/**
 * The spec for an HF config.json of model_type "llama", "mistral" or "qwen2" (num_hidden_layers,
 * hidden_size, num_attention_heads, num_key_value_heads, intermediate_size, vocab_size, head_dim,
 * rope_theta, rope_scaling, rms_norm_eps, tie_word_embeddings, max_position_embeddings,
 * attention_bias, mlp_bias, sliding_window).
 */
export function llamaFromHF(json: Record<string, unknown>): ReturnType<typeof llama> {
  const type = typeof json.model_type === 'string' ? json.model_type : 'llama';
  const act = json.hidden_act ?? 'silu';
  if (act !== 'silu') throw new ConfigError(`${type} hidden_act "${String(act)}" is not modelled`, 'AutoDist models the SwiGLU MLP with "silu"');
  const qwen = type === 'qwen2';
  const attnBias = json.attention_bias === true;
  const window = qwen ? (json.use_sliding_window === true ? optional(json, 'sliding_window') : undefined) : optional(json, 'sliding_window');
  return llama({
    name: type,
    nLayer: required(json, 'num_hidden_layers'),
    hidden: required(json, 'hidden_size'),
    nHead: required(json, 'num_attention_heads'),
    nKvHead: optional(json, 'num_key_value_heads'),
    ffnHidden: required(json, 'intermediate_size'),
    vocab: required(json, 'vocab_size'),
    headDim: optional(json, 'head_dim'),
    ropeTheta: optional(json, 'rope_theta'),
    ropeScaling: ropeScalingFromHF(json.rope_scaling),
    rmsNormEps: optional(json, 'rms_norm_eps'),
    tieEmbeddings: json.tie_word_embeddings === true,
    maxPositions: optional(json, 'max_position_embeddings'),
    qkvBias: qwen || attnBias,
    oBias: attnBias,
    mlpBias: json.mlp_bias === true,
    slidingWindow: window ?? null,
  });
}

/** A config's `swiglu`, checked: "unfused" (default) or "fused". */
function swigluOf(model: string, v: unknown): 'unfused' | 'fused' {
  if (v === undefined) return 'unfused';
  if (v !== 'unfused' && v !== 'fused') throw new ConfigError(`${model} swiglu must be "unfused" or "fused", got ${JSON.stringify(v)}`, 'set swiglu: "fused" (one kernel keeping gate and up) or "unfused" (SiLU and the product as separate ops)');
  return v;
}
