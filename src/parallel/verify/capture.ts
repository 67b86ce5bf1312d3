import type * as tf from '@tensorflow/tfjs-core';
import type { RankContext } from '../../core/context.js';
import type { Placement } from '../../core/placement.js';
import type { SourceLocation } from '../../core/source.js';
import type { Tensor } from '../../core/tensor.js';
import { addModuleHook, type Module } from '../../models/nn/module.js';

/** A tensor's values taken off a rank (a copy-free TensorFlow.js clone) with how it relates to the dense one. */
export interface Captured {
  readonly shape: readonly number[];
  readonly data: tf.Tensor | null;
  /** Index ranges of the sharded dim, when known (from the module's weight placement). */
  readonly hint?: { readonly dim: number; readonly ranges: readonly (readonly [number, number])[] };
}

/** One module call on one rank. */
export interface ModuleCall {
  readonly path: string;
  readonly kind: string;
  readonly call: number;
  readonly output: Captured;
  /** The module's first input; its gradient lands in `inputGrad` after backward. */
  readonly input: Tensor;
  inputGrad?: Captured;
  readonly builtAt?: SourceLocation;
  readonly module: Module;
}

/**
 * Records every module call on a rank: its output values and, after backward, the gradient of its
 * input (the tensor is marked retainGrad). The verifier compares these across the sharded and
 * unsharded runs.
 */
export class RankCapture {
  readonly calls: ModuleCall[] = [];
  private readonly counts = new Map<string, number>();
  private readonly off: () => void;

  constructor(readonly ctx: RankContext) {
    this.off = addModuleHook(ctx, (m, inputs, out) => {
      const k = this.counts.get(m.path) ?? 0;
      this.counts.set(m.path, k + 1);
      const input = inputs[0];
      if (input && input.requiresGrad) input.retainGrad = true;
      this.calls.push({
        path: m.path,
        kind: m.kind,
        call: k,
        output: { shape: out.shape, data: out.data ? out.data.clone() : null, hint: outputHint(m, out) },
        input,
        builtAt: m.builtAt,
        module: m,
      });
    });
  }

  /** After backward: pick up the retained input gradients. */
  collectInputGrads(): void {
    for (const c of this.calls) {
      const g = c.input?.grad;
      if (g) c.inputGrad = { shape: g.shape, data: g.data ? g.data.clone() : null, hint: inputHint(c.module, g) };
    }
  }

  stop(): void {
    this.off();
  }
}

/** The dense ranges of the last dim an output holds: those of its column-split weight, if any. */
function outputHint(m: Module, out: Tensor): Captured['hint'] {
  const w = weightPlacement(m);
  if (!w || w.kind !== 'shard') return undefined;
  const wt = (m as unknown as { weight: Tensor }).weight;
  if (w.dim !== wt.ndim - 1) return undefined;
  return { dim: out.ndim - 1, ranges: w.ranges };
}

/** The dense ranges of the last dim an input holds: those of a row-split weight. */
function inputHint(m: Module, g: Tensor): Captured['hint'] {
  const w = weightPlacement(m);
  if (!w || w.kind !== 'shard' || w.dim !== 0) return undefined;
  return { dim: g.ndim - 1, ranges: w.ranges };
}

function weightPlacement(m: Module): Placement | undefined {
  const w = (m as unknown as { weight?: Tensor }).weight;
  return w && typeof w === 'object' && 'placement' in w ? w.placement : undefined;
}
