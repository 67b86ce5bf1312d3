import type * as tf from '@tensorflow/tfjs';
import type { DType } from './dtype.js';
import type { RankContext } from './context.js';
import type { SourceLocation } from './source.js';
import type { GlobalRef, Placement } from './placement.js';

/** Gradient function of one op: given dL/d(output), dL/d(each input) (null where none). */
export type BackwardFn = (dy: Tensor) => (Tensor | null)[] | Promise<(Tensor | null)[]>;

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** What the backward reads (kept alive until it runs); the inputs when not said. */
  readonly saved?: readonly Tensor[];
  readonly backward: BackwardFn;
  readonly source?: SourceLocation;
  readonly module?: string;
  /** Where the module was built (the fallback source of its backward ops). */
  readonly site?: SourceLocation;
}

let nextId = 1;

/**
 * The last shape a tensor was made with (frozen) and its size. Tensors are made in runs of one
 * shape (a loop of collectives gets the same output shape each time), and both asking whether an
 * array is frozen and reading a frozen array's elements are slow calls in V8, not inlined code.
 */
let lastShape: readonly number[] = Object.freeze([]);
let lastSize = 1;

/** Make `shape` the last shape (frozen) and measure it (out of the constructor, which V8 then inlines). */
function rememberShape(shape: readonly number[]): void {
  // a loop of its own rather than numel(): numel's sees every kind of array in the program, this
  // one only tensor shapes
  let size = 1;
  for (let i = 0; i < shape.length; i++) size *= shape[i];
  lastShape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
  lastSize = size;
}

/**
 * A tensor on one simulated rank. In numeric mode `data` holds a TensorFlow.js tensor; in meta
 * mode it is null and only shape and dtype exist. Every op goes through the rank's context, which
 * computes (or infers the shape), charges simulated time, records the trace and the autograd
 * tape. A tensor belongs to exactly one rank: moving it to another rank takes a collective.
 */
export class Tensor {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly ctx: RankContext;
  /** null in meta mode, and after dispose(). */
  data: tf.Tensor | null;
  requiresGrad: boolean;
  /** The op that produced this tensor (null for leaves and when no gradient is needed). */
  node: GradNode | null = null;
  /** Accumulated gradient, for leaves that require it (parameters, inputs). */
  grad: Tensor | null = null;
  /** Backward bookkeeping: the pass that reached this tensor, and its gradient so far. */
  bwEpoch = 0;
  bwGrad: Tensor | null = null;
  /** Content id: tensors with equal non-zero ids hold equal values (see share.ts); 0 = unknown. */
  cid = 0;
  /** Keep this (non-leaf) tensor's gradient in `.grad` after backward (torch's retain_grad). */
  retainGrad = false;
  /** A name for reports, e.g. "h.0.attn.c_attn.weight". */
  name: string | undefined = undefined;
  /** How this tensor relates to the dense one it shards (set for parameters made from a weight store). */
  placement: Placement | undefined = undefined;
  /** The dense tensor this one is (a shard of). */
  global: GlobalRef | undefined = undefined;
  /** Index in the rank's memory tracker (-1: a view that owns no memory). */
  memIndex = -1;
  // (every field is set in the constructor, the optional ones to undefined: one hidden class for
  // all tensors, whatever is set on some of them later)

  constructor(ctx: RankContext, shape: readonly number[], dtype: DType, data: tf.Tensor | null, requiresGrad = false) {
    this.id = nextId++;
    this.ctx = ctx;
    if (shape !== lastShape) rememberShape(shape);
    this.shape = lastShape;
    this.size = lastSize;
    this.dtype = dtype;
    this.data = data;
    this.requiresGrad = requiresGrad;
  }

  get rank(): number {
    return this.ctx.rank;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  readonly size: number;

  get isMeta(): boolean {
    return this.data === null;
  }

  /** Values as a flat typed array (numeric mode only). */
  async values(): Promise<Float32Array | Int32Array | Uint8Array> {
    return (await this.requireData().data()) as Float32Array | Int32Array | Uint8Array;
  }

  valuesSync(): Float32Array | Int32Array | Uint8Array {
    return this.requireData().dataSync() as Float32Array | Int32Array | Uint8Array;
  }

  requireData(): tf.Tensor {
    if (!this.data) {
      throw new Error(
        this.ctx.mode === 'meta'
          ? `tensor ${this.describe()} on rank ${this.rank} has no values: this run is in meta mode (shapes only)`
          : `tensor ${this.describe()} on rank ${this.rank} was disposed`,
      );
    }
    return this.data;
  }

  describe(): string {
    return `${this.name ? this.name + ' ' : ''}[${this.shape.join(', ')}] ${this.dtype}`;
  }
}
