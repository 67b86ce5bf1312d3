import { ConfigError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { Module } from '../../models/nn/module.js';
import { partition, type PartitionMethod, type StageRange } from './partition.js';

export interface StagePosition {
  /** The stage this layer belongs to (its rank's coordinate along pp). */
  readonly stage: number;
  readonly numStages: number;
  readonly isFirstInStage: boolean;
  readonly isLastInStage: boolean;
  /** Index of the layer within its stage. */
  readonly indexInStage: number;
  /** Mesh axis of the pipeline (default "pp"). */
  readonly axis?: string;
}

/**
 * The stage-edge wrapper of the seed's Problem 1 (PipelineParallelTransformerLayer), with peers
 * addressed along the pp axis of the mesh:
 *   the first layer of a non-first stage receives its input from the previous stage;
 *   the last layer of a non-last stage sends its output to the next stage.
 * The seed sends to rank `stage_num + 1` and counts stages with `world_size`; that is only right
 * when pp is the whole world — with tp or dp > 1 the pp neighbour of a rank is
 * `rank.comm.peer("pp", ±1)`.
 *   fwd: recv [B, S, H] from the previous stage, send [B, S, H] to the next
 *   bwd: the received tensor's gradient goes back to the previous stage
 */
export class PipelineStageLayer extends Module {
  layer: Module;
  readonly position: StagePosition;

  constructor(layer: Module, position: StagePosition) {
    super();
    this.layer = layer;
    this.position = position;
  }

  async forward(x: Tensor): Promise<Tensor> {
    const { stage, numStages, isFirstInStage, isLastInStage } = this.position;
    const axis = this.position.axis ?? 'pp';
    const comm = x.ctx.comm;
    let h = x;
    if (isFirstInStage && stage > 0) h = await comm.recv(x, comm.peer(axis, -1)!, { requiresGrad: true }); // [B, S, H]
    const out = await this.layer.call(h); // [B, S, H]
    if (isLastInStage && stage < numStages - 1) await comm.send(out, comm.peer(axis, +1)!);
    return out;
  }
}

/**
 * The seed's Problem 2: cut `layers` into stages and wrap the ones of `stage` with their position.
 * Returns the wrapped layers of this stage, in order, and every stage's range.
 */
export function buildStage(layers: readonly Module[], stage: number, numStages: number, method: PartitionMethod = 'uniform', axis = 'pp'): { layers: PipelineStageLayer[]; ranges: StageRange[] } {
  if (stage < 0 || stage >= numStages) throw new ConfigError(`stage ${stage} is outside 0..${numStages - 1}`);
  const ranges = partition(layers.map((l, i) => ({ name: l.path || `layer ${i}`, kind: l.kind, params: l.namedParameters().reduce((a, [, t]) => a + t.size, 0) })), numStages, method);
  const r = ranges[stage];
  const wrapped: PipelineStageLayer[] = [];
  for (let i = r.start; i < r.end; i++) {
    wrapped.push(
      new PipelineStageLayer(layers[i], {
        stage,
        numStages,
        isFirstInStage: i === r.start,
        isLastInStage: i === r.end - 1,
        indexInStage: i - r.start,
        axis,
      }),
    );
  }
  return { layers: wrapped, ranges };
}
