import { fmtSource, type SourceLocation } from './source.js';

/**
 * Every error AutoDist raises about the person's program: what went wrong, on which rank(s),
 * at which line of their code, and what to change.
 */
export type SimErrorKind =
  | 'config'
  | 'shape'
  | 'collective-mismatch'
  | 'deadlock'
  | 'p2p-mismatch'
  | 'user-exception'
  | 'numeric'
  | 'cancelled'
  | 'time-limit' // the run took longer than allowed
  | 'stalled'; // a rank awaits something that can never settle (the event loop ran dry)

export interface RankSite {
  readonly rank: number;
  readonly source?: SourceLocation;
  readonly detail: string;
}

export class SimError extends Error {
  readonly kind: SimErrorKind;
  readonly ranks: readonly RankSite[];
  readonly fix?: string;
  readonly source?: SourceLocation;

  constructor(kind: SimErrorKind, message: string, opts: { ranks?: readonly RankSite[]; fix?: string; source?: SourceLocation } = {}) {
    super(composeMessage(message, opts.ranks ?? [], opts.fix));
    this.name = `SimError(${kind})`;
    this.kind = kind;
    this.ranks = opts.ranks ?? [];
    this.fix = opts.fix;
    this.source = opts.source ?? this.ranks.find((r) => r.source)?.source;
  }

  /** The short first line, without the per-rank listing. */
  get headline(): string {
    return this.message.split('\n')[0];
  }
}

function composeMessage(message: string, ranks: readonly RankSite[], fix?: string): string {
  const lines = [message];
  for (const r of ranks) lines.push(`  rank ${r.rank}: ${r.detail}${r.source ? ` at ${fmtSource(r.source)}` : ''}`);
  if (fix) lines.push(`  fix: ${fix}`);
  return lines.join('\n');
}

/**
 * A reason to stop a running simulation from outside its ranks (a time limit, a script that
 * exits or throws in a timer, a promise that never settles), passed as an AbortSignal's reason.
 * simulate() turns it into a SimError that lists every rank still in the run: the ranks that
 * wait in a collective with the line of the call, the others with the last line they ran.
 */
export class StopRequest {
  constructor(
    readonly kind: SimErrorKind,
    /** The headline, or a function of the ranks still in the run (what each does, where). */
    readonly headline: string | ((ranks: readonly RankSite[]) => string),
    readonly fix?: string,
    readonly source?: SourceLocation,
  ) {}
}

/**
 * A value passed where a tensor goes: most often the Promise of a collective that was not
 * awaited (`const y = rank.comm.allReduce(x)`), which otherwise surfaces as a TypeError deep
 * inside AutoDist ("x.requireData is not a function", "Invalid array length").
 */
export function notATensor(x: unknown, rank: number, what: string, source?: SourceLocation): SimError {
  const thenable = typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
  if (thenable) {
    return new SimError('user-exception', `rank ${rank} passed a Promise to ${what} where a tensor goes — a missing await?`, {
      ranks: [{ rank, source, detail: 'passed here' }],
      fix: 'await the call that made it: const y = await rank.comm.allReduce(x, { axis: "tp" })',
      source,
    });
  }
  const got = x === null || x === undefined ? String(x) : Array.isArray(x) ? 'an array' : typeof x === 'object' ? `an object (${(x as object).constructor?.name ?? 'Object'})` : `the ${typeof x} ${String(x)}`;
  return new SimError('user-exception', `rank ${rank} passed ${got} to ${what} where a tensor goes`, {
    ranks: [{ rank, source, detail: 'passed here' }],
    fix: "pass a tensor made on this rank (rank.tensor(...), rank.randn(...), or a layer's output)",
    source,
  });
}

export class ConfigError extends SimError {
  constructor(message: string, fix?: string, source?: SourceLocation, ranks?: readonly RankSite[]) {
    super('config', message, { fix, source, ranks });
  }
}

export class ShapeError extends SimError {
  constructor(message: string, opts: { rank?: number; source?: SourceLocation; fix?: string } = {}) {
    super('shape', message, {
      ranks: opts.rank === undefined ? [] : [{ rank: opts.rank, source: opts.source, detail: 'raised here' }],
      fix: opts.fix,
      source: opts.source,
    });
  }
}
