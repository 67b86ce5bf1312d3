/** How the extension writes numbers: bytes in binary units, shapes, times, collective names. */

/** 4194304 → "4.0 MiB"; 512 → "512 B". */
export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** [1024, 4096] → "1024×4096" (hint style). */
export const fmtDims = (s: readonly number[]): string => s.join('×');

/** [8, 128, 1024] → "[8,128,1024]" (compact) or "[8, 128, 1024]". */
export const fmtShape = (s: readonly number[], compact = false): string => `[${s.join(compact ? ',' : ', ')}]`;

/** 1234.5 µs → "1.23 ms". */
export function fmtUs(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${us.toFixed(us >= 100 ? 0 : 1)} µs`;
}

/** "all_reduce" → "all-reduce". */
export const fmtOp = (op: string): string => op.replace(/_/g, '-');

/** "forward" → "fwd", "backward" → "bwd". */
export function fmtPhase(phase: string): string {
  if (phase === 'forward') return 'fwd';
  if (phase === 'backward') return 'bwd';
  return phase;
}

/** 3.1e-7 → "3e-7"; 0 → "0". */
/** An error size: 0.41, 0.018, 3e-7 (two digits from 0.01 up, else one significant digit). */
export function fmtErr(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 0.01 && a < 1000) return String(Number(x.toPrecision(2)));
  return x.toExponential(0).replace('e+', 'e');
}

/** 4194304 → "4,194,304". */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
