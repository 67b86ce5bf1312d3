/**
 * How a rank's tensor relates to the full (unsharded) tensor, in DTensor's words:
 *   Replicate  — every rank holds the whole tensor;
 *   Shard(dim) — each rank along `axis` holds some index ranges of `dim`;
 *   Partial    — every rank holds a full-shape addend; the sum over `axis` is the tensor.
 * Shards record the exact dense index ranges they hold, so fused layouts (a QKV weight split per
 * q/k/v and per head) re-assemble correctly.
 */
export type Placement =
  | { readonly kind: 'replicate' }
  | { readonly kind: 'shard'; readonly dim: number; readonly axis: string; readonly ranges: readonly (readonly [number, number])[] }
  | { readonly kind: 'partial'; readonly axis: string };

export const REPLICATE: Placement = Object.freeze({ kind: 'replicate' });

/** "Shard(1)", "Replicate", "Partial" as DTensor prints them. */
export function fmtPlacement(p: Placement | undefined): string {
  if (!p || p.kind === 'replicate') return 'Replicate';
  if (p.kind === 'partial') return 'Partial';
  return `Shard(${p.dim})`;
}

/** Contiguous split: part `index` of `parts` equal pieces of a dim of size `size`. */
export function contiguousRange(size: number, parts: number, index: number): [number, number] {
  const len = size / parts;
  return [index * len, len];
}

/** Total length covered by ranges. */
export function rangesLength(ranges: readonly (readonly [number, number])[]): number {
  return ranges.reduce((p, [, l]) => p + l, 0);
}

/** The global name and shape of the dense tensor a shard comes from. */
export interface GlobalRef {
  readonly name: string;
  readonly shape: readonly number[];
}
