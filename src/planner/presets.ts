/**
 * Real model shapes for planning, as AutoDist model specs (so a plan can also be simulated).
 *
 *   id             layers  hidden  heads  kv  ffn     vocab   params   source
 *   llama-3-8b       32     4096     32    8  14336   128256   8.03 B  meta-llama/Meta-Llama-3-8B config.json
 *   llama-3-70b      80     8192     64    8  28672   128256  70.55 B  meta-llama/Meta-Llama-3-70B config.json
 *   llama-3-405b    126    16384    128    8  53248   128256 405.85 B  meta-llama/Llama-3.1-405B config.json
 *   gpt3-175b        96    12288     96   96  49152    51200 175.0 B   Brown et al. 2020 Table 2.1 (GPT-3 175B:
 *                                                                      n_layers 96, d_model 12288, n_heads 96, context 2048);
 *                                                                      the GPT-2 BPE vocabulary (50257) padded to 51200
 *                                                                      as Megatron does (Korthikanti et al. 2022 §6)
 * Llama-3 models have no dropout and tie nothing; GPT-3 is trained with dropout (the Korthikanti
 * activation formula counts its masks) and ties the LM head to the token embedding.
 */
import { gpt2 } from '../models/gpt2.js';
import { modelFromHFConfig } from '../models/hf-config.js';
import { llama } from '../models/llama.js';
import type { ModelSpec } from '../models/model.js';

export type PresetId = 'llama-3-8b' | 'llama-3-70b' | 'llama-3-405b' | 'gpt3-175b';

/** What the planner knows of a model beyond its spec: whether training uses dropout. */
export interface PlannerModel {
  readonly id: string;
  readonly spec: ModelSpec;
  /** Dropout in training (adds the masks of Korthikanti et al. 2022 Eq. 1 to the activations). */
  readonly dropout: boolean;
}

const LLAMA3 = { vocab: 128256, ropeTheta: 500000, rmsNormEps: 1e-5, maxPositions: 8192 } as const;

export const PRESETS: Readonly<Record<PresetId, () => PlannerModel>> = Object.freeze({
  'llama-3-8b': () => ({
    id: 'llama-3-8b',
    dropout: false,
    spec: llama({ name: 'llama-3-8b', nLayer: 32, hidden: 4096, nHead: 32, nKvHead: 8, ffnHidden: 14336, ...LLAMA3 }),
  }),
  'llama-3-70b': () => ({
    id: 'llama-3-70b',
    dropout: false,
    spec: llama({ name: 'llama-3-70b', nLayer: 80, hidden: 8192, nHead: 64, nKvHead: 8, ffnHidden: 28672, ...LLAMA3 }),
  }),
  'llama-3-405b': () => ({
    id: 'llama-3-405b',
    dropout: false,
    spec: llama({ name: 'llama-3-405b', nLayer: 126, hidden: 16384, nHead: 128, nKvHead: 8, ffnHidden: 53248, ...LLAMA3, maxPositions: 131072 }),
  }),
  'gpt3-175b': () => ({
    id: 'gpt3-175b',
    dropout: true,
    spec: gpt2({ nLayer: 96, nEmbd: 12288, nHead: 96, vocab: 51200, nPositions: 2048 }),
  }),
});

export const PRESET_IDS: readonly PresetId[] = Object.keys(PRESETS) as PresetId[];

export function isPresetId(s: string): s is PresetId {
  return Object.hasOwn(PRESETS, s.toLowerCase());
}

/** A preset by id (case-insensitive); undefined when there is none. */
export function preset(id: string): PlannerModel | undefined {
  const key = id.toLowerCase();
  return isPresetId(key) ? PRESETS[key]() : undefined;
}

/**
 * A model from a parsed HuggingFace config.json (model_type llama, mistral, qwen2 or gpt2).
 * Dropout is on when the config names a positive attention/hidden/residual dropout.
 */
export function modelFromConfigJson(json: unknown, id = 'config.json'): PlannerModel {
  const spec = modelFromHFConfig(json);
  const cfg = json as Record<string, unknown>;
  const drop = ['attention_dropout', 'hidden_dropout', 'resid_pdrop', 'attn_pdrop', 'embd_pdrop'].some((k) => typeof cfg[k] === 'number' && (cfg[k] as number) > 0);
  return { id, spec, dropout: drop };
}
