/**
 * JSON to a file or stream in pieces. `JSON.stringify` builds one string, and V8 strings stop at
 * about 512 MiB: a report of a million ranks (per-rank clocks, memory, traffic) or a long ledger
 * passes that ("RangeError: Invalid string length"). Here arrays and objects are written member
 * by member; small members (under PIECE elements) as one JSON.stringify each. The text is the
 * same as JSON.stringify(value, null, indent) gives.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const PIECE = 256;
const FLUSH_CHARS = 1 << 20;

/** Write `value` as JSON to the file `file` (created or truncated), followed by a newline. */
export function writeJsonFile(file: string, value: unknown, indent = 2): void {
  const fd = openSync(file, 'w');
  try {
    writeJsonTo((s) => void writeSync(fd, s), value, indent);
  } finally {
    closeSync(fd);
  }
}

/** Write `value` as JSON through `write`, in chunks of about a MiB, followed by a newline. */
export function writeJsonTo(write: (s: string) => void, value: unknown, indent = 2): void {
  let buf = '';
  const out = (s: string) => {
    buf += s;
    if (buf.length >= FLUSH_CHARS) {
      write(buf);
      buf = '';
    }
  };
  emit(out, value, '', ' '.repeat(indent), undefined);
  out('\n');
  if (buf) write(buf);
}

/** The value JSON.stringify would write for `v` under `key` (toJSON applied), or undefined to skip. */
function jsonValue(v: unknown, key: string): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') return (v as { toJSON(k: string): unknown }).toJSON(key);
  return v;
}

function isSmall(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.length < PIECE && v.every((x) => x === null || typeof x !== 'object' || (Array.isArray(x) ? x.length < 16 : false));
  return false;
}

function emit(out: (s: string) => void, raw: unknown, pad: string, step: string, key: string | undefined): void {
  const v = jsonValue(raw, key ?? '');
  if (isSmall(v)) {
    const s = JSON.stringify(v, null, step);
    out(s === undefined ? 'null' : pad && s.includes('\n') ? s.replace(/\n/g, '\n' + pad) : s);
    return;
  }
  const inner = pad + step;
  if (Array.isArray(v)) {
    if (v.length === 0) return out('[]');
    out('[');
    for (let i = 0; i < v.length; i++) {
      out(i ? ',\n' + inner : '\n' + inner);
      const x = jsonValue(v[i], String(i));
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') out('null');
      else emit(out, x, inner, step, String(i));
    }
    out('\n' + pad + ']');
    return;
  }
  const obj = v as Record<string, unknown>;
  let first = true;
  out('{');
  for (const k of Object.keys(obj)) {
    const x = jsonValue(obj[k], k);
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    out((first ? '\n' : ',\n') + inner + JSON.stringify(k) + ': ');
    first = false;
    emit(out, x, inner, step, k);
  }
  out(first ? '}' : '\n' + pad + '}');
}
