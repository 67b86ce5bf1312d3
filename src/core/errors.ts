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
  | 'cancelled';

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

export class ConfigError extends SimError {
  constructor(message: string, fix?: string, source?: SourceLocation) {
    super('config', message, { fix, source });
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
