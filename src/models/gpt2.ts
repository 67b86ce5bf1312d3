import { add, dropout, gelu, matmul, split, transposeLast } from '../core/ops/index.js';
import { fmt, shapeError } from '../core/ops/check.js';
import type { RankContext } from '../core/context.js';
import { ConfigError } from '../core/errors.js';
import { deriveSeed, Rng } from '../core/rng.js';
import type { Tensor } from '../core/tensor.js';
import { attentionKernelOf, selfAttention, type AttentionKernel } from './attention.js';
import { Model, memo, moduleLayer, paramsOf, type Batch, type BatchShape, type ModelSpec } from './model.js';
import { Embedding } from './nn/embedding.js';
import { Linear } from './nn/linear.js';
import { Module } from './nn/module.js';
import { LayerNorm } from './nn/norm.js';
import type { Params } from './weights.js';

export interface Gpt2Config {
  readonly nLayer: number;
  /** H: model width. */
  readonly nEmbd: number;
  readonly nHead: number;
  /** V. */
  readonly vocab: number;
  /** Rows of the learned position table (HF n_positions, default 1024). */
  readonly nPositions?: number;
  /** F: MLP width (HF n_inner, default 4H). */
  readonly nInner?: number;
  readonly layerNormEps?: number;
  /** The attention kernel: "flash" (default) or "unfused" (./attention.ts). */
  readonly attention?: AttentionKernel;
  /**
   * Dropout probability after the embeddings, on the attention probabilities (unfused) and after
   * each block's two output projections (HF embd/attn/resid_pdrop as one p; default 0). Meta
   * mode only: its masks' bytes and time.
   */
  readonly dropout?: number;
}

/**
 * Attention of one block (HF GPT2Attention):
 *   [q | k | v] = x·W_attn + b_attn   (c_attn: W [H, 3H], fused)
 *   y = attention(q, k, v)·W_proj + b_proj   (c_proj: W [H, H])
 * The fused output is cut into equal thirds of whatever width this rank holds.
 */
export class GPT2Attention extends Module {
  c_attn: Module;
  c_proj: Module;
  readonly headDim: number;
  readonly kernel: AttentionKernel;
  readonly dropout: number;
  /** Selective recomputation of the attention core (set by a simulation's `recompute: "selective"`). */
  recomputeCore = false;

  constructor(p: Params, c: Required<Gpt2Config>) {
    super();
    const cAttn = Linear.create(p.scope('c_attn'), c.nEmbd, 3 * c.nEmbd);
    cAttn.fused = 3; // q | k | v blocks: a tensor-parallel split cuts each block
    this.c_attn = cAttn;
    this.c_proj = Linear.create(p.scope('c_proj'), c.nEmbd, c.nEmbd);
    this.headDim = c.nEmbd / c.nHead;
    this.kernel = c.attention;
    this.dropout = c.dropout;
  }

  async forward(x: Tensor): Promise<Tensor> {
    const qkv = await this.c_attn.call(x); // [B, S, 3H]
    if (qkv.shape[2] % 3 !== 0) throw shapeError(qkv, `c_attn output ${fmt(qkv.shape)} cannot be cut into equal q|k|v thirds`, 'shard c_attn per q, k and v so each rank holds equal parts of all three');
    const [q, k, v] = split(qkv, 2, 3); // [B, S, H] each
    const y = selfAttention(q, k, v, this.headDim, { kernel: this.kernel, dropout: this.dropout, recomputeCore: this.recomputeCore }); // [B, S, H]
    return dropout(await this.c_proj.call(y), this.dropout); // [B, S, H]
  }
}

/** MLP of one block (HF GPT2MLP): c_proj(gelu_tanh(c_fc(x))), W_fc [H, F], W_proj [F, H]. */
export class GPT2MLP extends Module {
  c_fc: Module;
  c_proj: Module;
  readonly dropout: number;

  constructor(p: Params, c: Required<Gpt2Config>) {
    super();
    this.c_fc = Linear.create(p.scope('c_fc'), c.nEmbd, c.nInner);
    this.c_proj = Linear.create(p.scope('c_proj'), c.nInner, c.nEmbd);
    this.dropout = c.dropout;
  }

  async forward(x: Tensor): Promise<Tensor> {
    const h = await this.c_fc.call(x); // [B, S, F]
    return dropout(await this.c_proj.call(gelu(h)), this.dropout); // [B, S, H]
  }
}

/** Pre-LN block: x ← x + attn(ln_1(x));  x ← x + mlp(ln_2(x)). */
export class GPT2Block extends Module {
  ln_1: Module;
  attn: Module;
  ln_2: Module;
  mlp: Module;

  constructor(p: Params, c: Required<Gpt2Config>) {
    super();
    this.ln_1 = new LayerNorm(p.scope('ln_1'), c.nEmbd, c.layerNormEps);
    this.attn = new GPT2Attention(p.scope('attn'), c);
    this.ln_2 = new LayerNorm(p.scope('ln_2'), c.nEmbd, c.layerNormEps);
    this.mlp = new GPT2MLP(p.scope('mlp'), c);
  }

  async forward(x: Tensor): Promise<Tensor> {
    const a = await this.attn.call(await this.ln_1.call(x)); // [B, S, H]
    const h = add(x, a); // [B, S, H]
    const m = await this.mlp.call(await this.ln_2.call(h)); // [B, S, H]
    return add(h, m); // [B, S, H]
  }
}

/**
 * LM head tied to a token embedding: logits = h·Eᵀ, E [V, H] the embedding's table.
 * It owns no parameter (the table belongs to the embedding, so it is counted and loaded once);
 * the embedding is held outside the module tree, not as a child. A plan that replaces the
 * embedding re-points `embedding` or replaces this head too.
 */
export class TiedLMHead extends Module {
  declare embedding: Embedding;

  constructor(embedding: Embedding) {
    super();
    Object.defineProperty(this, 'embedding', { value: embedding, enumerable: false, writable: true });
  }

  /** The tied table E [V, H]. */
  get weight(): Tensor {
    return this.embedding.weight;
  }

  async forward(h: Tensor): Promise<Tensor> {
    return matmul(h, transposeLast(this.weight)); // [B, S, V]
  }
}

/**
 * GPT-2 (HF GPT2LMHeadModel without the "transformer." prefix; dropout not modelled):
 *   x = wte[ids] + wpe[0..S)          [B, S, H]
 *   x = h.L−1(… h.0(x))               [B, S, H]
 *   logits = ln_f(x)·wteᵀ             [B, S, V]
 */
export class GPT2 extends Model {
  wte: Embedding;
  wpe: Embedding;
  h: Module[];
  ln_f: Module;
  lm_head: Module;
  readonly nPositions: number;
  readonly dropout: number;

  constructor(p: Params, c: Required<Gpt2Config>) {
    super();
    this.wte = Embedding.create(p.scope('wte'), c.vocab, c.nEmbd);
    this.wpe = Embedding.create(p.scope('wpe'), c.nPositions, c.nEmbd);
    this.h = Array.from({ length: c.nLayer }, (_, i) => new GPT2Block(p.scope(`h.${i}`), c));
    this.ln_f = new LayerNorm(p.scope('ln_f'), c.nEmbd, c.layerNormEps);
    this.lm_head = new TiedLMHead(this.wte);
    this.nPositions = c.nPositions;
    this.dropout = c.dropout;
  }

  /** ids [B, S] int32 → logits [B, S, V] (the loss reshapes them to [B·S, V]). */
  async forward(ids: Tensor): Promise<Tensor> {
    let x = await this.embed(ids); // [B, S, H]
    for (const block of this.h) x = await block.call(x); // [B, S, H]
    return this.head(x); // [B, S, V]
  }

  /** wte[ids] + wpe[0..S)  → [B, S, H] (the first pipeline stage's part). */
  async embed(ids: Tensor): Promise<Tensor> {
    if (ids.ndim !== 2) throw shapeError(ids, `GPT-2 takes token ids [B, S], got ${fmt(ids.shape)}`);
    const s = ids.shape[1];
    if (s > this.nPositions) throw shapeError(ids, `sequence length ${s} exceeds GPT-2's ${this.nPositions} positions`, `use seq ≤ ${this.nPositions} or raise nPositions`);
    const pos = ids.ctx.tensor(() => Int32Array.from({ length: s }, (_, i) => i), [s], 'int32', 'positions'); // [S]
    const tok = await this.wte.call(ids); // [B, S, H]
    return dropout(add(tok, await this.wpe.call(pos)), this.dropout); // [B, S, H]
  }

  /** ln_f then the LM head → logits [B, S, V] (the last pipeline stage's part). */
  async head(x: Tensor): Promise<Tensor> {
    const y = await this.ln_f.call(x); // [B, S, H]
    return this.lm_head.call(y); // [B, S, V]
  }
}

/**
 * A language-model batch: one stream of B·(S+1) token ids in [0, V) from (seed, "tokens"), the
 * values ctx.randint([B, S + 1], V, { seed, key: "tokens" }) would give; input = ids[:, :S],
 * target = ids[:, 1:] (next-token prediction).
 */
export function tokenBatch(ctx: RankContext, s: BatchShape, seed: number, vocab: number): Batch {
  const { batch: b, seq } = s;
  let ids: Int32Array | null = null;
  const stream = () => (ids ??= new Rng(deriveSeed(seed, 'tokens')).fillInt(new Int32Array(b * (seq + 1)), vocab));
  const window = (start: number) => () => {
    const all = stream();
    const out = new Int32Array(b * seq);
    for (let i = 0; i < b; i++) out.set(all.subarray(i * (seq + 1) + start, i * (seq + 1) + start + seq), i * seq);
    return out;
  };
  return {
    input: ctx.tensor(window(0), [b, seq], 'int32', `tokens:${seed}:${vocab}:in`), // [B, S]
    target: ctx.tensor(window(1), [b, seq], 'int32', `tokens:${seed}:${vocab}:out`), // [B, S]
  };
}

/** Positive integer check with a fix. */
export function positiveInt(model: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`${model} ${field} must be a positive integer, got ${JSON.stringify(v)}`, `set ${field} to a whole number ≥ 1`);
  return v;
}

/** How an HF GPT-2 tensor maps onto ours: all as-is (Conv1D already stores W [in, out]). */
export function hfTensorLayout(_name: string): 'transpose' | 'as-is' {
  return 'as-is';
}

/** Our name for an HF GPT-2 checkpoint name; null for buffers and the tied lm_head copy. */
export function fromHFName(hfName: string): string | null {
  const n = hfName.startsWith('transformer.') ? hfName.slice('transformer.'.length) : hfName;
  if (n === 'lm_head.weight' || /\.attn\.(masked_)?bias$/.test(n)) return null;
  return n;
}

export function gpt2(cfg: Gpt2Config): ModelSpec<Required<Gpt2Config>, GPT2> & { hfTensorLayout: typeof hfTensorLayout; fromHFName: typeof fromHFName } {
  const m = 'gpt2';
  const nEmbd = positiveInt(m, 'nEmbd', cfg.nEmbd);
  const nHead = positiveInt(m, 'nHead', cfg.nHead);
  if (nEmbd % nHead !== 0) throw new ConfigError(`gpt2 nEmbd ${nEmbd} is not divisible by nHead ${nHead}`, `choose nHead dividing ${nEmbd} (e.g. ${divisorNear(nEmbd, nHead)}) or change nEmbd`);
  const c: Required<Gpt2Config> = Object.freeze({
    nLayer: positiveInt(m, 'nLayer', cfg.nLayer),
    nEmbd,
    nHead,
    vocab: positiveInt(m, 'vocab', cfg.vocab),
    nPositions: positiveInt(m, 'nPositions', cfg.nPositions ?? 1024),
    nInner: positiveInt(m, 'nInner', cfg.nInner ?? 4 * nEmbd),
    layerNormEps: cfg.layerNormEps ?? 1e-5,
    attention: attentionKernelOf(m, cfg.attention),
    dropout: dropoutOf(m, cfg.dropout),
  });
  const { nLayer: L, nEmbd: H, vocab: V, nPositions: P, nInner: F } = c;
  return {
    name: 'gpt2',
    config: c,
    build: (p) => new GPT2(p, c),
    batch: (ctx, s, seed) => tokenBatch(ctx, s, seed, V),
    loss: 'cross_entropy',
    layerPaths: () => Array.from({ length: L }, (_, i) => `h.${i}`),
    sequential: (model) => {
      const g = model as GPT2;
      return {
        pre: { name: 'embed', kind: 'Embedding', run: (ids) => g.embed(ids), parameters: memo(() => paramsOf(g.wte, g.wpe)) },
        blocks: g.h.map((_, i) => moduleLayer(`h.${i}`, () => g.h[i])),
        post: { name: 'head', kind: 'LMHead', run: (x) => g.head(x), parameters: memo(() => paramsOf(g.ln_f, g.lm_head)) },
      };
    },
    // wte + wpe + L·(ln_1, c_attn, c_proj, ln_2, c_fc, c_proj) + ln_f; the head is tied.
    paramCount: () => V * H + P * H + L * (2 * H + (3 * H * H + 3 * H) + (H * H + H) + 2 * H + (H * F + F) + (F * H + H)) + 2 * H,
    hfTensorLayout,
    fromHFName,
  };
}

/** A dropout probability in [0, 1) (default 0). */
export function dropoutOf(model: string, v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ConfigError(`${model} dropout must be a probability in [0, 1), got ${JSON.stringify(v)}`, 'set dropout: 0.1 (meta mode) or leave it out');
  return v;
}

/** The divisor of n closest to `near` (for error messages). */
export function divisorNear(n: number, near: number): number {
  let best = 1;
  for (let d = 1; d <= n; d++) if (n % d === 0 && Math.abs(d - near) < Math.abs(best - near)) best = d;
  return best;
}

/** The spec for an HF GPT-2 config.json (n_layer, n_embd, n_head, vocab_size, n_positions, …). */
export function gpt2FromHF(json: Record<string, unknown>): ReturnType<typeof gpt2> {
  const act = json.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh' && act !== 'gelu_fast') {
    throw new ConfigError(`GPT-2 activation_function "${String(act)}" is not modelled`, 'AutoDist models the tanh GELU ("gelu_new"); use a config with that activation');
  }
  if (json.scale_attn_by_inverse_layer_idx === true || json.scale_attn_weights === false) {
    throw new ConfigError('GPT-2 attention scaling other than 1/√hd is not modelled', 'set scale_attn_weights: true and scale_attn_by_inverse_layer_idx: false');
  }
  return gpt2({
    nLayer: required(json, 'n_layer'),
    nEmbd: required(json, 'n_embd'),
    nHead: required(json, 'n_head'),
    vocab: required(json, 'vocab_size'),
    nPositions: optional(json, 'n_positions'),
    nInner: optional(json, 'n_inner'),
    layerNormEps: optional(json, 'layer_norm_epsilon'),
  });
}

/** A numeric field of an HF config.json that must be there. */
export function required(json: Record<string, unknown>, field: string): number {
  const v = json[field];
  if (typeof v !== 'number') throw new ConfigError(`config.json has no numeric "${field}" (found ${JSON.stringify(v)})`, `add "${field}" to the config`);
  return v;
}

/** A numeric field that may be absent or null (then the default applies). */
export function optional(json: Record<string, unknown>, field: string): number | undefined {
  const v = json[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new ConfigError(`config.json field "${field}" should be a number, found ${JSON.stringify(v)}`);
  return v;
}
