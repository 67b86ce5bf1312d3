import type { RankContext } from '../core/context.js';

/** This rank's place along one mesh axis: `{ axis: "tp", size: 4, index: 2 }`. */
export interface AxisInfo {
  readonly axis: string;
  readonly size: number;
  readonly index: number;
}

export function axisInfo(ctx: RankContext, axis = 'tp'): AxisInfo {
  return Object.freeze({ axis, size: ctx.axisSize(axis), index: ctx.coord(axis) });
}
