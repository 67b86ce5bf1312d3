import { findSourceMap } from 'node:module';
import { setPositionMapper, type SourceLocation } from '../core/source.js';

/**
 * Map stack positions through Node's source-map cache, so that code run through a transpiler
 * that does not keep columns (tsx/esbuild in tests) still reports the person's own line:column.
 * Files without a source map (sucrase-transpiled scripts keep their lines) pass through.
 */
export function installSourceMaps(): void {
  const cache = new Map<string, ReturnType<typeof findSourceMap> | null>();
  setPositionMapper((file, line, column): SourceLocation => {
    let sm = cache.get(file);
    if (sm === undefined) {
      try {
        sm = findSourceMap(file) ?? null;
      } catch {
        sm = null;
      }
      cache.set(file, sm);
    }
    if (!sm) return { file, line, column };
    const e = sm.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!e || e.originalLine === undefined) return { file, line, column };
    const orig = e.originalSource?.replace(/^file:\/\//, '') ?? file;
    return { file: orig, line: e.originalLine + 1, column: (e.originalColumn ?? 0) + 1 };
  });
}
