import { ConfigError } from '../core/errors.js';
import type { HFCheckpointMapping, ParsedSafetensors } from './safetensors.js';

/**
 * How a checkpoint stores its linear weights:
 *   'torch'     as the model's PyTorch modules do — nn.Linear's weight is [out, in] (transposed on
 *               load to AutoDist's [in, out]); GPT-2's Conv1D is [in, out] already. The default.
 *   'autodist'  AutoDist's own [in, out] for every linear weight, loaded as-is.
 */
export type CheckpointLayout = 'torch' | 'autodist';

export interface WeightsSpec {
  /** A .safetensors file, relative to the script. */
  readonly file: string;
  /** Default 'torch'. */
  readonly layout?: CheckpointLayout;
}

export function weightsSpecOf(w: string | WeightsSpec): Required<WeightsSpec> {
  if (typeof w === 'string') return { file: w, layout: 'torch' };
  if (typeof w !== 'object' || w === null || typeof w.file !== 'string') throw new ConfigError('weights must be a .safetensors path or { file, layout }', "weights: { file: 'model.safetensors', layout: 'torch' }");
  const layout = w.layout ?? 'torch';
  if (layout !== 'torch' && layout !== 'autodist') throw new ConfigError(`weights.layout must be 'torch' or 'autodist', got ${JSON.stringify(w.layout)}`, "layout: 'torch' for a state dict saved from PyTorch ([out, in] nn.Linear weights), 'autodist' for [in, out]");
  return { file: w.file, layout };
}

/** The mapping a load uses: the model's torch layout, or every tensor as-is. */
export function layoutMapping(layout: CheckpointLayout, model: Partial<HFCheckpointMapping> | undefined): HFCheckpointMapping {
  const torch = model && typeof model.hfTensorLayout === 'function' ? model.hfTensorLayout.bind(model) : () => 'as-is' as const;
  return { hfTensorLayout: layout === 'torch' ? torch : () => 'as-is', fromHFName: model?.fromHFName?.bind(model) };
}

/** The layout a file says it has: `layout` in its metadata, or torch for safetensors.torch's `format: "pt"`. */
export function fileLayout(metadata: Readonly<Record<string, string>>): { layout: CheckpointLayout; why: string } | undefined {
  if (metadata.layout === 'torch' || metadata.layout === 'autodist') return { layout: metadata.layout, why: `its metadata says layout "${metadata.layout}"` };
  if (metadata.format === 'pt') return { layout: 'torch', why: 'it was saved from PyTorch (metadata format "pt")' };
  return undefined;
}

/**
 * A checkpoint whose own layout contradicts the one the spec states is refused, by the names of
 * the weights the two layouts read differently — a square weight included, which its shape
 * cannot give away ([d, d] is both [in, out] and [out, in]).
 */
export function checkLayout(declared: CheckpointLayout, metadata: Readonly<Record<string, string>>, parsed: ParsedSafetensors, model: Partial<HFCheckpointMapping> | undefined, file: string): void {
  const says = fileLayout(metadata);
  if (!says || says.layout === declared) return;
  const torch = layoutMapping('torch', model);
  const ours = (n: string) => (torch.fromHFName ? torch.fromHFName(n) : n);
  const differ = [...parsed.keys()].filter((n) => {
    const name = ours(n);
    return name !== null && torch.hfTensorLayout(name) === 'transpose';
  });
  if (!differ.length) return;
  const square = differ.filter((n) => {
    const s = parsed.get(n)!.shape;
    return s.length === 2 && s[0] === s[1];
  });
  const named = (square.length ? square : differ).slice(0, 4).map((n) => `${n} [${parsed.get(n)!.shape.join(', ')}]${square.includes(n) ? ' (square: its shape cannot tell)' : ''}`).join(', ');
  throw new ConfigError(
    `the weights file ${file} is in ${says.layout} layout (${says.why}), but the spec says layout: '${declared}' — ${named} would load ${declared === 'autodist' ? 'as [in, out] while it holds [out, in]' : 'transposed while it holds [in, out] already'}`,
    `weights: { file: '${file}', layout: '${says.layout}' }`,
  );
}
