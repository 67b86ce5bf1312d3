import { AbortedError } from '../core/context.js';
import { SimError } from '../core/errors.js';
import { fmtSource, isLibraryFile, stackLineLocation, type SourceLocation } from '../core/source.js';
import { toReportError } from '../parallel/simulation/report-build.js';
import type { ReportError } from '../report/types.js';

/**
 * What can go wrong around a simulation rather than inside it: the script does not parse, does
 * not load, exports the wrong thing, or the run is refused, stopped or killed. Shaped like a
 * SimError (kind, headline, fix, source), so reports and the panel treat both alike.
 */
export type RunnerErrorKind =
  | 'syntax' // the script does not parse
  | 'load' // a file is missing or unreadable
  | 'script' // the script threw while being evaluated
  | 'export' // the default export is not a simulation
  | 'memory-limit' // the numeric run would need more memory than allowed
  | 'time-limit' // the run took longer than allowed
  | 'cancelled'
  | 'internal'; // the worker died

export class RunnerError extends Error {
  readonly kind: RunnerErrorKind;
  readonly fix?: string;
  readonly source?: SourceLocation;
  readonly ranks: readonly [] = [];

  constructor(kind: RunnerErrorKind, message: string, opts: { fix?: string; source?: SourceLocation } = {}) {
    super(opts.fix ? `${message}\n  fix: ${opts.fix}` : message);
    this.name = `RunnerError(${kind})`;
    this.kind = kind;
    this.fix = opts.fix;
    this.source = opts.source;
  }

  get headline(): string {
    return this.message.split('\n')[0];
  }
}

/** Any thrown value as a report error. */
export function reportErrorOf(e: unknown): ReportError {
  if (e instanceof SimError) return toReportError(e);
  if (e instanceof AbortedError) return toReportError(e.reason);
  if (e instanceof RunnerError) {
    return { kind: e.kind, message: e.message, headline: e.headline, fix: e.fix, ranks: [], source: e.source ? { ...e.source } : undefined };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const source = userFrame(err);
  const headline = `${err.name}: ${err.message.split('\n')[0]}`;
  return { kind: 'internal', message: `${err.name}: ${err.message}`, headline, ranks: [], source };
}

/** The first frame of an error's stack in the person's code (not AutoDist's, not node's). */
export function userFrame(err: Error, file?: string): SourceLocation | undefined {
  for (const line of (err.stack ?? '').split('\n').slice(1)) {
    const at = stackLineLocation(line);
    if (!at) continue;
    if (file ? at.file !== file : isLibraryFile(at.file)) continue;
    return at;
  }
  return undefined;
}

/** What to do about a run that hit its time limit, by mode. */
export function timeLimitFix(mode: string | undefined): string {
  return mode === 'meta'
    ? 'an infinite loop? If not: meta runs of very many ops and collectives fold dp/tp by symmetry (fold: ["dp", "tp"] in the spec; meshes over 64 ranks fold by default), or raise --timeout'
    : 'an infinite loop? If not: a numeric run of a large model is slow on a CPU — --meta simulates shapes, bytes and time only — or raise --timeout';
}

export function describeError(e: ReportError): string {
  return e.source ? `${e.headline} (${fmtSource(e.source)})` : e.headline;
}
