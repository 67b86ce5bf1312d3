/**
 * Where in the person's code a call came from: the first stack frame outside AutoDist's own
 * files (and outside node internals and node_modules). Captured with V8's structured stack
 * (CallSite objects), which is cheaper than formatting and parsing `Error.stack`.
 */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function fmtSource(s: SourceLocation | undefined): string {
  return s ? `${s.file}:${s.line}:${s.column}` : '<unknown>';
}

/** Decides whether a file path belongs to AutoDist itself (true) or to the person (false). */
export type LibraryMatcher = (file: string) => boolean;

interface CallSiteLike {
  isAsync?(): boolean;
  isConstructor?(): boolean;
  getFunctionName?(): string | null;
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

function thisFile(): string {
  const sites = callSites(thisFile, 1);
  return sites[0]?.getFileName() ?? '';
}

function callSites(from: Function, limit: number): CallSiteLike[] {
  const prepare = Error.prepareStackTrace;
  const oldLimit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = (_e, sites) => sites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, from);
    return (holder.stack as CallSiteLike[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = oldLimit;
  }
}

function stripUrl(file: string): string {
  return file.startsWith('file://') ? decodeURIComponent(file.slice(7)) : file;
}

function dirOf(file: string): string {
  return file.slice(0, file.length - baseName(file).length);
}

/** A path's last part, for either separator (the core has no `path`). */
export function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/**
 * The library root: in a bundle (dist/x.js) every library frame is in the bundle's own file;
 * from sources (src/core/source.ts) everything under src/.
 */
function defaultMatcher(): LibraryMatcher {
  const me = stripUrl(thisFile());
  const srcIdx = me.lastIndexOf('/src/core/');
  const roots = srcIdx >= 0 ? [me.slice(0, srcIdx + 5)] : [];
  const exact = srcIdx >= 0 ? '' : me;
  const bundleDir = srcIdx >= 0 ? '' : dirOf(me);
  return (file: string) => {
    const f = stripUrl(file);
    if (f === exact) return true;
    if (bundleDir && f.startsWith(bundleDir) && /\/dist\/[^/]+\.(c|m)?js$/.test(f)) return true;
    return roots.some((r) => f.startsWith(r));
  };
}

let isLibrary: LibraryMatcher = defaultMatcher();

/** Replace how library frames are recognised (the runner does this for bundles and tests). */
export function setLibraryMatcher(m: LibraryMatcher): void {
  isLibrary = m;
}

/** True for AutoDist's own files and node's (not the person's code). */
export function isLibraryFile(file: string): boolean {
  return isInternal(file) || isLibrary(file);
}

function isInternal(file: string): boolean {
  // "/tfjs-core/src/..." is how a source-mapped TensorFlow.js frame looks.
  return file.startsWith('node:') || file.includes('/node_modules/') || file.startsWith('internal/') || file === 'native' || /\/tfjs-[a-z-]+\/src\//.test(file);
}

/** Maps a generated position to the original one (source maps); identity by default. */
export type PositionMapper = (file: string, line: number, column: number) => SourceLocation;

let mapPosition: PositionMapper = (file, line, column) => ({ file, line, column });

/** Install a source-map aware position mapper (the runner does, from node:module). */
export function setPositionMapper(m: PositionMapper): void {
  mapPosition = m;
  located.clear();
}

/**
 * Mapped locations by position in the running code: one frozen object per place, so that every
 * call from one line (every rank's, every iteration's) has the same source — compared by identity
 * where the ledger and the trace share what consecutive calls have in common — and each place is
 * mapped through the source map once.
 */
const located = new Map<string, SourceLocation>();

function locate(file: string, line: number, column: number): SourceLocation {
  const key = `${line}:${column}:${file}`;
  let loc = located.get(key);
  if (!loc) {
    loc = Object.freeze(mapPosition(stripUrl(file), line, column));
    located.set(key, loc);
  }
  return loc;
}

const MAX_FRAMES = 14;

/**
 * The person's source location of the current call: the first frame that is neither AutoDist's
 * nor node's. Only synchronous frames count: when library code (a parallel layer's forward)
 * runs after an await, the frames below it are the async chain that merely led there, and the
 * caller falls back to the module's construction site instead. `undefined` when none is found.
 */
export function captureSource(skipConstructorsOf?: ReadonlySet<string>): SourceLocation | undefined {
  if (given) return given;
  const sites = callSites(captureSource, MAX_FRAMES);
  for (const s of sites) {
    if (s.isAsync?.()) break;
    if (skipConstructorsOf && s.isConstructor?.() && skipConstructorsOf.has(s.getFunctionName?.() ?? '')) continue;
    const file = s.getFileName();
    if (!file || isInternal(file) || isLibrary(file)) continue;
    return locate(file, s.getLineNumber() ?? 0, s.getColumnNumber() ?? 0);
  }
  return undefined;
}

/**
 * A place the caller names itself, for code V8's stack cannot see: the Python bridge passes the
 * person's `.py` file and line with each call. While `withGivenSource` runs, `captureSource`
 * answers with it. One frozen object per place, as for stack frames.
 */
let given: SourceLocation | undefined;

export function sourceAt(file: string, line: number, column = 0): SourceLocation {
  const key = `${line}:${column}:${file}`;
  let loc = located.get(key);
  if (!loc) {
    loc = Object.freeze({ file, line, column });
    located.set(key, loc);
  }
  return loc;
}

/** Run `fn` with `captureSource()` answering `source` (restored after, also on a throw). */
export function withGivenSource<T>(source: SourceLocation | undefined, fn: () => T): T {
  const prev = given;
  given = source;
  try {
    return fn();
  } finally {
    given = prev;
  }
}

/**
 * The file, line and column of one line of a V8 `Error.stack` ("    at fn (FILE:12:3)" or
 * "    at FILE:12:3"), for any character in the path — spaces, parentheses, "ünï cødé ✓" — which
 * a `[^\s()]+` pattern would cut at the last space. Undefined for frames without a location
 * ("at new Promise (<anonymous>)", "at native").
 */
export function stackLineLocation(raw: string): SourceLocation | undefined {
  let s = raw.trim();
  if (!s.startsWith('at ')) return undefined;
  s = s.slice(3).replace(/^async /, '');
  const tail = /:(\d+):(\d+)\)?$/.exec(s);
  if (!tail) return undefined;
  let file = s.slice(0, tail.index);
  if (s.endsWith(')')) {
    // "fn (FILE" — the file starts where an absolute path or URL does after " (" (a function
    // name holds no " (/"), else after the first " ("
    const starts = [' (/', ' (file://', ' (node:', ' (\\\\'].map((p) => file.indexOf(p)).filter((i) => i >= 0);
    const drive = / \([A-Za-z]:[\\/]/.exec(file);
    if (drive) starts.push(drive.index);
    const at = starts.length ? Math.min(...starts) : file.indexOf(' (');
    if (at >= 0) file = file.slice(at + 2);
    else if (file.startsWith('(')) file = file.slice(1);
  }
  if (file.startsWith('eval at ') || file === '<anonymous>' || file === 'native') return undefined;
  if (file.startsWith('file://')) {
    try {
      file = decodeURIComponent(file.slice('file://'.length));
    } catch {
      file = file.slice('file://'.length);
    }
  }
  return { file, line: Number(tail[1]), column: Number(tail[2]) };
}
