import { SimError, type RankSite } from '../errors.js';
import type { RankState } from '../events.js';
import type { SourceLocation } from '../source.js';
import type { World } from '../world.js';

/** What a blocked rank is waiting for, for deadlock reports. */
export interface WaitInfo {
  /** What the rank waits in; a function so the text is only built for a report. */
  readonly what: string | (() => string);
  readonly source?: SourceLocation;
}

/**
 * Tracks every rank's state. Ranks block only inside the collectives engine, so when every rank
 * that has not finished is blocked there, no rank can ever make progress: that is a deadlock,
 * reported with what each rank waits on and where.
 */
export class Scheduler {
  private readonly states: RankState[];
  private readonly waits: (WaitInfo | null)[];
  private readonly rejects: (((e: Error) => void) | null)[];
  private readonly world: World;
  private running: number;

  constructor(world: World) {
    this.world = world;
    const n = world.mesh.worldSize;
    this.states = new Array<RankState>(n).fill('running');
    this.waits = new Array<WaitInfo | null>(n).fill(null);
    this.rejects = new Array<((e: Error) => void) | null>(n).fill(null);
    this.running = n;
    if (world.fold.active) {
      for (let r = 0; r < n; r++) {
        if (!world.fold.isRep(r)) {
          this.states[r] = 'done';
          this.running--;
        }
      }
    }
  }

  state(rank: number): RankState {
    return this.states[rank];
  }

  waitOf(rank: number): WaitInfo | null {
    return this.waits[rank];
  }

  block(rank: number, info: WaitInfo, reject: (e: Error) => void): void {
    if (this.states[rank] !== 'running') throw new Error(`internal: rank ${rank} blocks while ${this.states[rank]}`);
    this.states[rank] = 'blocked';
    this.waits[rank] = info;
    this.rejects[rank] = reject;
    this.running--;
    this.world.emitRankState(rank, 'blocked');
    this.checkDeadlock();
  }

  unblock(rank: number): void {
    if (this.states[rank] !== 'blocked') return;
    this.states[rank] = 'running';
    this.waits[rank] = null;
    this.rejects[rank] = null;
    this.running++;
  }

  finish(rank: number, failed: boolean): void {
    if (this.states[rank] === 'blocked') this.unblock(rank);
    if (this.states[rank] === 'running') this.running--;
    this.states[rank] = failed ? 'failed' : 'done';
    this.world.emitRankState(rank, this.states[rank]);
    this.checkDeadlock();
  }

  /** Stop the run: every blocked rank's wait rejects with `err`. */
  abort(err: SimError): void {
    if (!this.world.aborted) this.world.aborted = err;
    for (let r = 0; r < this.states.length; r++) {
      const rej = this.rejects[r];
      if (this.states[r] === 'blocked' && rej) {
        this.unblock(r);
        rej(err);
      }
    }
  }

  /**
   * Every rank still in the run, as a rank site: a blocked rank with the collective it waits in
   * and the line of that call; a running one with `running(rank)` (what it was last seen doing).
   */
  sites(running: (rank: number) => { detail: string; source?: SourceLocation }): RankSite[] {
    const out: RankSite[] = [];
    for (let r = 0; r < this.states.length; r++) {
      const w = this.waits[r];
      if (this.states[r] === 'blocked' && w) out.push({ rank: r, source: w.source, detail: `waits in ${typeof w.what === 'function' ? w.what() : w.what}` });
      else if (this.states[r] === 'running') out.push({ rank: r, ...running(r) });
    }
    return out;
  }

  private checkDeadlock(): void {
    if (this.running > 0 || this.world.aborted) return;
    const blocked: RankSite[] = [];
    const finished: number[] = [];
    for (let r = 0; r < this.states.length; r++) {
      const w = this.waits[r];
      if (this.states[r] === 'blocked' && w) blocked.push({ rank: r, source: w.source, detail: `waits in ${typeof w.what === 'function' ? w.what() : w.what}` });
      else finished.push(r);
    }
    if (blocked.length === 0) return;
    const tail = finished.length ? ` (rank${finished.length > 1 ? 's' : ''} ${compact(finished)} already finished)` : '';
    const err = new SimError('deadlock', `deadlock: ${blocked.length} rank${blocked.length > 1 ? 's wait' : ' waits'} and none can proceed${tail}`, {
      ranks: blocked,
      fix: 'every member of a group must call the same collectives in the same order, and every recv needs a matching send from the rank it names',
    });
    this.abort(err);
  }
}

/** "0-3,6" style list. */
export function compact(ranks: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < ranks.length) {
    let j = i;
    while (j + 1 < ranks.length && ranks[j + 1] === ranks[j] + 1) j++;
    out.push(j > i ? `${ranks[i]}-${ranks[j]}` : `${ranks[i]}`);
    i = j + 1;
  }
  return out.join(',');
}
