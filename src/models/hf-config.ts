import { ConfigError } from '../core/errors.js';
import { gpt2FromHF } from './gpt2.js';
import { llamaFromHF } from './llama.js';

/** The HF model_type values AutoDist can build, and which reader handles each. */
const READERS = {
  gpt2: gpt2FromHF,
  llama: llamaFromHF,
  mistral: llamaFromHF,
  qwen2: llamaFromHF,
} as const;

export type HFModelType = keyof typeof READERS;
export type HFModelSpec = ReturnType<(typeof READERS)[HFModelType]>;

export const SUPPORTED_MODEL_TYPES: readonly HFModelType[] = Object.keys(READERS) as HFModelType[];

/** A model spec from a HuggingFace config.json (parsed JSON), dispatched on `model_type`. */
export function modelFromHFConfig(json: unknown): HFModelSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`an HF config must be a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`, 'pass the parsed contents of config.json');
  }
  const cfg = json as Record<string, unknown>;
  const type = cfg.model_type;
  if (typeof type !== 'string' || !Object.hasOwn(READERS, type)) {
    throw new ConfigError(
      type === undefined ? 'the HF config has no "model_type"' : `HF model_type ${JSON.stringify(type)} is not supported`,
      `supported model_type values: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
    );
  }
  return READERS[type as HFModelType](cfg);
}
