import * as path from 'node:path';
import type { SourceRef } from '../report/types.js';
import { maxOf } from '../report/format.js';

import { fmtBytes } from '../report-html/units.js';
import { fmtInt } from '../report/format.js';

export { fmtBytes, fmtUs, fmtMs, fmtShape, fmtCount, fmtErr, fmtRanks } from '../report-html/units.js';

/** Elements beside bytes, as the seed writes them: "1,048,576 floats (4.0 MiB)"; other dtypes "… bfloat16 (2.0 MiB)". */
export function fmtElements(elements: number, dtype: string, bytes: number): string {
  return `${fmtInt(elements)} ${dtype === 'float32' ? (elements === 1 ? 'float' : 'floats') : dtype} (${fmtBytes(bytes)})`;
}

/** "file.ts:12" relative to the working directory when inside it. */
export function fmtSource(s: SourceRef | undefined, cwd = process.cwd()): string {
  if (!s) return '';
  const rel = path.relative(cwd, s.file);
  const f = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : s.file;
  return `${f}:${s.line}`;
}

/** Left-aligned text columns (right-aligned where `right[i]`), two spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = [], indent = '  '): string {
  const w = header.map((h, i) => maxOf(rows.map((r) => (r[i] ?? '').length), h.length));
  const line = (cells: readonly string[]) =>
    indent + cells.map((c, i) => (right[i] ? (c ?? '').padStart(w[i]) : (c ?? '').padEnd(w[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
