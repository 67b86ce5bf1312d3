import { ConfigError } from './errors.js';
import type { Mesh, ProcessGroup } from './mesh.js';

/**
 * Symmetry folding for meta mode. An SPMD program does the same thing, with the same shapes, on
 * every rank along a data-parallel or tensor-parallel axis; only one representative per class
 * needs to run. Folding the axes `axes` runs the ranks whose coordinates on those axes are 0;
 * every other rank ("mirror") is taken to do exactly what its representative does. A collective
 * completes when its representatives arrive; its ledger entry stands for `multiplicity` identical
 * groups across the world. Not for numeric mode (values differ per rank), nor for pipeline
 * stages (they differ in their layers), nor for programs whose behaviour depends on the folded
 * coordinates beyond shapes (a send to a mirror is taken as delivered; a recv from one as the
 * symmetric image of a representative's send).
 */
export class Fold {
  readonly axes: readonly string[];
  private readonly mesh: Mesh;
  private readonly multiplicityCache = new Map<string, number>();

  constructor(mesh: Mesh, axes: readonly string[]) {
    for (const a of axes) if (!mesh.has(a)) throw new ConfigError(`cannot fold unknown mesh axis "${a}"`, `fold some of ${mesh.axes.join(', ')}`);
    this.mesh = mesh;
    this.axes = axes.filter((a) => mesh.size(a) > 1);
  }

  get active(): boolean {
    return this.axes.length > 0;
  }

  isRep(rank: number): boolean {
    for (const a of this.axes) if (this.mesh.coord(rank, a) !== 0) return false;
    return true;
  }

  /** The representative of a rank: the same coordinates with the folded ones at 0. */
  repOf(rank: number): number {
    if (!this.axes.length) return rank;
    const c = { ...this.mesh.coords(rank) };
    for (const a of this.axes) c[a] = 0;
    return this.mesh.rankOf(c);
  }

  reps(): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.mesh.worldSize; r++) if (this.isRep(r)) out.push(r);
    return out;
  }

  /** How many groups across the world this group's entry stands for: Π sizes of folded axes constant within it. */
  multiplicity(group: ProcessGroup | readonly number[]): number {
    const ranks = 'ranks' in group ? group.ranks : group;
    const key = 'id' in group ? group.id : ranks.join(',');
    const hit = this.multiplicityCache.get(key);
    if (hit !== undefined) return hit;
    let m = 1;
    for (const a of this.axes) {
      const c0 = this.mesh.coord(ranks[0], a);
      if (ranks.every((r) => this.mesh.coord(r, a) === c0)) m *= this.mesh.size(a);
    }
    this.multiplicityCache.set(key, m);
    return m;
  }
}
