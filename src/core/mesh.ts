import { ConfigError } from './errors.js';

/**
 * A device mesh: named axes ("dp", "pp", "tp", or any other name) whose sizes multiply to the
 * world size. Ranks are laid out with the LAST axis fastest. The default order is
 * Megatron-LM's: pp slowest, then dp, then tp fastest, i.e.
 *   rank = (pp_i · dp + dp_i) · tp + tp_i
 * so a tensor-parallel group is a run of consecutive ranks (same node, NVLink).
 */
export interface MeshSpec {
  readonly [axis: string]: number | undefined;
}

/** The most ranks a mesh may have (a meta run's ceiling; numeric runs stop sooner, see parallel/simulation/limits.ts). */
export const MAX_WORLD = 2 ** 21;

/** Megatron's default "tp-cp-ep-dp-pp" order, slowest first. */
export const DEFAULT_AXIS_ORDER: readonly string[] = ['pp', 'dp', 'cp', 'ep', 'tp'];

export interface ProcessGroup {
  /** Stable id, e.g. "tp[4,5,6,7]" or "ranks[0,2]". */
  readonly id: string;
  /** Mesh axis this group is a slice of, or undefined for an explicit rank list. */
  readonly axis?: string;
  /** Global ranks in group order (group rank i = ranks[i]). */
  readonly ranks: readonly number[];
}

export class Mesh {
  /** Axis names, slowest first. */
  readonly axes: readonly string[];
  readonly sizes: readonly number[];
  readonly worldSize: number;
  private readonly strides: readonly number[];
  private readonly groups = new Map<string, ProcessGroup>();
  private readonly byRank = new Map<string, ProcessGroup>();

  constructor(spec: MeshSpec, order?: readonly string[]) {
    const names = Object.keys(spec).filter((k) => spec[k] !== undefined);
    for (const k of names) {
      const v = spec[k]!;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
        const got = typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v);
        throw new ConfigError(`mesh axis "${k}" must be a whole number ≥ 1, got ${got}`, `give "${k}" a number, e.g. { ${k}: 2 }`);
      }
    }
    const world = names.reduce((n, k) => n * spec[k]!, 1);
    if (world > MAX_WORLD) throw new ConfigError(`the mesh has ${world.toLocaleString('en-US')} ranks; AutoDist simulates at most ${MAX_WORLD.toLocaleString('en-US')}`, 'use a smaller mesh');
    const ord = order ?? [...DEFAULT_AXIS_ORDER, ...names.filter((n) => !DEFAULT_AXIS_ORDER.includes(n)).sort()];
    for (const n of names) {
      if (!ord.includes(n)) throw new ConfigError(`mesh axis "${n}" is not in the axis order [${ord.join(', ')}]`, 'add it to the order');
    }
    // Unknown axes of the order with no size are skipped; the three standard ones always exist.
    const axes = ord.filter((a) => names.includes(a) || a === 'pp' || a === 'dp' || a === 'tp');
    this.axes = axes;
    this.sizes = axes.map((a) => spec[a] ?? 1);
    this.worldSize = this.sizes.reduce((a, b) => a * b, 1);
    const strides = new Array<number>(axes.length);
    let s = 1;
    for (let i = axes.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= this.sizes[i];
    }
    this.strides = strides;
  }

  size(axis: string): number {
    const i = this.axes.indexOf(axis);
    if (i < 0) throw new ConfigError(`unknown mesh axis "${axis}"`, `use one of ${this.axes.join(', ')}`);
    return this.sizes[i];
  }

  has(axis: string): boolean {
    return this.axes.includes(axis);
  }

  /** Coordinates of a rank along every axis. */
  coords(rank: number): Readonly<Record<string, number>> {
    this.checkRank(rank);
    const c: Record<string, number> = {};
    for (let i = 0; i < this.axes.length; i++) c[this.axes[i]] = Math.floor(rank / this.strides[i]) % this.sizes[i];
    return c;
  }

  coord(rank: number, axis: string): number {
    const i = this.axes.indexOf(axis);
    if (i < 0) throw new ConfigError(`unknown mesh axis "${axis}"`, `use one of ${this.axes.join(', ')}`);
    return Math.floor(rank / this.strides[i]) % this.sizes[i];
  }

  rankOf(coords: Readonly<Record<string, number>>): number {
    let r = 0;
    for (let i = 0; i < this.axes.length; i++) {
      const c = coords[this.axes[i]] ?? 0;
      if (!Number.isInteger(c) || c < 0 || c >= this.sizes[i]) {
        throw new ConfigError(`coordinate ${this.axes[i]}=${c} is outside the mesh (size ${this.sizes[i]})`);
      }
      r += c * this.strides[i];
    }
    return r;
  }

  /** The process group of `rank` along `axis`: the ranks that share every other coordinate. */
  axisGroup(axis: string, rank: number): ProcessGroup {
    const key = `${axis}:${rank}`;
    const hit = this.byRank.get(key);
    if (hit) return hit;
    const g = this.makeAxisGroup(axis, rank);
    this.byRank.set(key, g);
    return g;
  }

  private makeAxisGroup(axis: string, rank: number): ProcessGroup {
    const i = this.axes.indexOf(axis);
    if (i < 0) throw new ConfigError(`unknown mesh axis "${axis}"`, `use one of ${this.axes.join(', ')}`);
    this.checkRank(rank);
    const c = Math.floor(rank / this.strides[i]) % this.sizes[i];
    const base = rank - c * this.strides[i];
    const ranks: number[] = [];
    for (let k = 0; k < this.sizes[i]; k++) ranks.push(base + k * this.strides[i]);
    return this.intern(`${axis}[${ranks.join(',')}]`, ranks, axis);
  }

  /** Every group along `axis` (world / size(axis) of them). */
  axisGroups(axis: string): ProcessGroup[] {
    const seen = new Set<string>();
    const out: ProcessGroup[] = [];
    for (let r = 0; r < this.worldSize; r++) {
      const g = this.axisGroup(axis, r);
      if (!seen.has(g.id)) {
        seen.add(g.id);
        out.push(g);
      }
    }
    return out;
  }

  /** The group of all ranks. */
  world(): ProcessGroup {
    const ranks = Array.from({ length: this.worldSize }, (_, i) => i);
    return this.intern('world', ranks, undefined);
  }

  /** A group from an explicit list of global ranks (like torch.distributed.new_group). */
  group(ranks: readonly number[]): ProcessGroup {
    if (ranks.length === 0) throw new ConfigError('a process group needs at least one rank');
    const seen = new Set<number>();
    for (const r of ranks) {
      this.checkRank(r);
      if (seen.has(r)) throw new ConfigError(`rank ${r} appears twice in the group [${ranks.join(', ')}]`, 'list each rank once');
      seen.add(r);
    }
    return this.intern(`ranks[${ranks.join(',')}]`, [...ranks], undefined);
  }

  describe(): string {
    return this.axes.map((a, i) => `${a}=${this.sizes[i]}`).join(' × ') + ` = ${this.worldSize} ranks`;
  }

  toJSON(): { axes: string[]; sizes: number[]; worldSize: number } {
    return { axes: [...this.axes], sizes: [...this.sizes], worldSize: this.worldSize };
  }

  private intern(id: string, ranks: number[], axis: string | undefined): ProcessGroup {
    let g = this.groups.get(id);
    if (!g) {
      g = Object.freeze({ id, axis, ranks: Object.freeze(ranks) });
      this.groups.set(id, g);
    }
    return g;
  }

  private checkRank(rank: number): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.worldSize) {
      throw new ConfigError(`rank ${rank} does not exist: the mesh has ranks 0..${this.worldSize - 1}`);
    }
  }
}
