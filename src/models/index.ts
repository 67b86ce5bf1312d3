/** Reference models (plain layers, no parallelism) and their HF configs and checkpoints. */
import { ffn } from './ffn.js';
import { gpt2 } from './gpt2.js';
import { llama } from './llama.js';
import { modelFromHFConfig } from './hf-config.js';

export const models = { ffn, gpt2, llama, fromHF: modelFromHFConfig };

export { Model, type Batch, type BatchShape, type LossKind, type ModelSpec } from './model.js';
export { FFN, ffn, type FfnConfig } from './ffn.js';
export { GPT2, GPT2Attention, GPT2Block, GPT2MLP, TiedLMHead, gpt2, gpt2FromHF, tokenBatch, type Gpt2Config } from './gpt2.js';
export { LlamaAttention, LlamaDecoderLayer, LlamaForCausalLM, LlamaMLP, LlamaModel, llama, llamaFromHF, type LlamaConfig, type LlamaResolved } from './llama.js';
export { modelFromHFConfig, SUPPORTED_MODEL_TYPES, type HFModelSpec, type HFModelType } from './hf-config.js';
export { causalSelfAttention, headCount, mergeHeads, splitHeads } from './attention.js';
export { Rope, applyRope, ropeInvFreq, ropeTables, type RopeScaling } from './rope.js';
export {
  declareParams,
  halfToFloat,
  loadIntoStore,
  parseSafetensors,
  safetensorsMetadata,
  writeSafetensors,
  type HFCheckpointMapping,
  type LoadReport,
  type ParsedSafetensors,
  type SafeTensor,
  type SafetensorsDType,
} from './safetensors.js';
export { Params, WeightStore, normal, BIAS_INIT, GAIN_INIT, ZEROS, ONES, type Init, type ParamDecl } from './weights.js';
export { Module, assignPaths, addModuleHook, type ModuleHook } from './nn/module.js';
export { Linear } from './nn/linear.js';
export { LayerNorm, RMSNorm } from './nn/norm.js';
export { Embedding } from './nn/embedding.js';
