import { ConfigError } from '../../core/errors.js';

/**
 * Pipeline schedules as pure functions: given the pipeline shape and a stage (rank along pp),
 * the ordered list of its actions. Names follow torch.distributed.pipelining.
 *   F(mb, chunk)  forward of micro-batch `mb` through this rank's model chunk `chunk`
 *   B(mb, chunk)  backward of it
 * `chunk` is the virtual stage index on the rank (always 0 unless interleaved); the global
 * stage of chunk c on rank s is c·p + s (Megatron's interleaved assignment).
 */
export interface Action {
  readonly kind: 'F' | 'B';
  readonly microbatch: number;
  readonly chunk: number;
}

export interface ScheduleShape {
  /** p: pipeline ranks (the pp axis size). */
  readonly stages: number;
  /** m: micro-batches per step. */
  readonly microbatches: number;
  /** v: model chunks per rank (1 unless interleaved). */
  readonly virtual: number;
  /** This rank's position along pp. */
  readonly stage: number;
}

export type ScheduleFn = (s: ScheduleShape) => Action[];

const F = (microbatch: number, chunk = 0): Action => ({ kind: 'F', microbatch, chunk });
const B = (microbatch: number, chunk = 0): Action => ({ kind: 'B', microbatch, chunk });

/** GPipe: every forward, then every backward. Stashes m micro-batches; bubble (p−1)/m. */
export const GPipe: ScheduleFn = ({ microbatches: m }) => {
  const out: Action[] = [];
  for (let i = 0; i < m; i++) out.push(F(i));
  for (let i = 0; i < m; i++) out.push(B(i));
  return out;
};

/**
 * 1F1B (PipeDream-Flush): p−s−1 warm-up forwards, then one forward / one backward, then the
 * remaining backwards. Stashes at most p−s micro-batches; bubble (p−1)/m.
 */
export const OneFOneB: ScheduleFn = ({ stages: p, microbatches: m, stage: s }) => {
  const warm = Math.min(p - s - 1, m);
  const out: Action[] = [];
  for (let i = 0; i < warm; i++) out.push(F(i));
  for (let i = 0; i < m - warm; i++) {
    out.push(F(warm + i));
    out.push(B(i));
  }
  for (let i = m - warm; i < m; i++) out.push(B(i));
  return out;
};

/**
 * Interleaved 1F1B (Narayanan et al. 2021; Megatron-LM's interleaved schedule): each rank holds
 * v model chunks; micro-batches run in groups of p through chunk 0, then chunk 1, …; backwards
 * visit chunks in reverse. Needs m to be a multiple of p. Bubble (p−1)/(v·m).
 */
export const Interleaved1F1B: ScheduleFn = ({ stages: p, microbatches: m, virtual: v, stage: s }) => {
  if (m % p !== 0) throw new ConfigError(`Interleaved1F1B needs the micro-batch count (${m}) to be a multiple of the pipeline size (${p})`, `use microbatches: ${Math.ceil(m / p) * p}`);
  const total = m * v;
  const fwdId = (k: number): Action => F(Math.floor(k / (p * v)) * p + (k % p), Math.floor(k / p) % v);
  const bwdId = (k: number): Action => B(Math.floor(k / (p * v)) * p + (k % p), v - 1 - (Math.floor(k / p) % v));
  const warm = Math.min((p - s - 1) * 2 + (v - 1) * p, total);
  const out: Action[] = [];
  for (let k = 0; k < warm; k++) out.push(fwdId(k));
  for (let k = 0; k < total - warm; k++) {
    out.push(fwdId(warm + k));
    out.push(bwdId(k));
  }
  for (let k = total - warm; k < total; k++) out.push(bwdId(k));
  return out;
};

export type ScheduleName = 'GPipe' | '1F1B' | 'Interleaved1F1B';

export const SCHEDULES: Readonly<Record<ScheduleName, ScheduleFn>> = Object.freeze({ GPipe, '1F1B': OneFOneB, Interleaved1F1B });

export function scheduleFn(s: ScheduleName | ScheduleFn | undefined): ScheduleFn {
  if (typeof s === 'function') return s;
  const f = SCHEDULES[(s ?? '1F1B') as ScheduleName];
  if (!f) throw new ConfigError(`unknown schedule "${String(s)}"`, `use one of ${Object.keys(SCHEDULES).join(', ')}, or a function (shape) => actions`);
  return f;
}

/** The bubble fraction the schedule should have with uniform stages: (p−1)/(v·m). */
export function idealBubble(p: number, m: number, v = 1): number {
  return (p - 1) / (v * m);
}

/** Check a schedule's action list: every (mb, chunk) forward once, backward once, after its forward. */
export function checkActions(actions: readonly Action[], shape: ScheduleShape): void {
  const seenF = new Set<string>();
  const seenB = new Set<string>();
  for (const a of actions) {
    const k = `${a.microbatch}/${a.chunk}`;
    if (a.microbatch < 0 || a.microbatch >= shape.microbatches || a.chunk < 0 || a.chunk >= shape.virtual) {
      throw new ConfigError(`schedule action ${a.kind}(${a.microbatch}, chunk ${a.chunk}) is outside ${shape.microbatches} micro-batches × ${shape.virtual} chunks (stage ${shape.stage})`);
    }
    if (a.kind === 'F') {
      if (seenF.has(k)) throw new ConfigError(`schedule runs forward ${k} twice on stage ${shape.stage}`);
      seenF.add(k);
    } else {
      if (!seenF.has(k)) throw new ConfigError(`schedule runs backward ${k} before its forward on stage ${shape.stage}`);
      if (seenB.has(k)) throw new ConfigError(`schedule runs backward ${k} twice on stage ${shape.stage}`);
      seenB.add(k);
    }
  }
  const need = shape.microbatches * shape.virtual;
  if (seenF.size !== need || seenB.size !== need) throw new ConfigError(`schedule on stage ${shape.stage} runs ${seenF.size} forwards and ${seenB.size} backwards; ${need} of each are needed`);
}
