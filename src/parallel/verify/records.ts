import type * as tf from '@tensorflow/tfjs-core';
import type { Mesh } from '../../core/mesh.js';
import type { Placement } from '../../core/placement.js';
import type { TraceEvent } from '../../core/trace.js';
import type { SourceLocation } from '../../core/source.js';
import type { RankCapture } from './capture.js';

/** One parameter's gradient on one rank, and how it maps to the dense parameter. */
export interface ParamRecord {
  readonly name: string;
  readonly module: string;
  readonly key: string;
  readonly shape: readonly number[];
  readonly grad: tf.Tensor | null;
  readonly placement?: Placement;
  /** The module's fused block count (GPT-2 c_attn: 3), if it has one. */
  readonly fused?: number;
  /** Where the (parallel) module holding it was built. */
  readonly builtAt?: SourceLocation;
}

/** What the sharded run left for the verifier. */
export interface ShardedRecord {
  readonly mesh: Mesh;
  readonly captures: readonly (RankCapture | null)[];
  readonly params: readonly ReadonlyMap<string, ParamRecord>[];
  readonly losses: readonly (number | null)[];
  readonly trace: readonly TraceEvent[];
  /** Micro-batches per step: each module runs this many times per reference call. */
  readonly microbatches?: number;
  /** How many terms the reference's loss sums (B·S): its float32 rounding grows with them. */
  readonly lossSummands?: number;
}

/** What the unsharded reference run left. */
export interface ReferenceRecord {
  readonly capture: RankCapture;
  /** Gradients by TensorFlow.js autodiff, per dense parameter name. */
  readonly grads: ReadonlyMap<string, tf.Tensor>;
  /** Dense parameter values (for diagnoses, e.g. the bias). */
  readonly values: ReadonlyMap<string, tf.Tensor>;
  readonly loss: number;
  readonly inputGrad: tf.Tensor | null;
}
