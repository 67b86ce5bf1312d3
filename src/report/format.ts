/**
 * How reports write numbers — one set of conventions for the inline hints (extension) and the
 * panel (webview), which both import this file. Pure: no node, no DOM.
 */

/** 4194304 → "4.0 MiB"; 512 → "512 B" (binary units, as nccl-tests and PyTorch print sizes). */
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

/** 4194304 → "4,194,304". */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** [8, 128, 1024] → "[8, 128, 1024]", or "[8,128,1024]" compact; undefined → "". */
export const fmtShape = (s: readonly number[] | undefined, compact = false): string => (s ? `[${s.join(compact ? ',' : ', ')}]` : '');

/** 1234.5 µs → "1.23 ms". */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${us.toFixed(us >= 100 ? 0 : 1)} µs`;
}

/** "all_reduce" → "all-reduce". */
export const fmtOp = (op: string): string => op.replace(/_/g, '-');

/** An error size: 0.41, 0.018, 3e-7 (two digits from 0.01 up, else one significant digit). */
export function fmtErr(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 0.01 && a < 1000) return String(Number(x.toPrecision(2)));
  return x.toExponential(0).replace('e+', 'e');
}

export const fmtPct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export const basename = (file: string): string => file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);

/** [0,1,2,3,6] → "0–3, 6" (the text summary and the HTML report write "0-3, 6": `dash` "-"). */
export function fmtRanks(ranks: readonly number[], dash = '–', sep = ', '): string {
  const s = [...ranks].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    out.push(j > i ? `${s[i]}${dash}${s[j]}` : String(s[i]));
    i = j + 1;
  }
  return out.join(sep);
}

/**
 * The largest of `xs` (at least `floor`), without spreading them into a call: `Math.max(...xs)`
 * overflows the stack for arrays of about 100,000 and more (one per rank on large meshes).
 */
export function maxOf(xs: Iterable<number>, floor = -Infinity): number {
  let m = floor;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** The smallest of `xs` (at most `ceiling`), without spreading them into a call (see maxOf). */
export function minOf(xs: Iterable<number>, ceiling = Infinity): number {
  let m = ceiling;
  for (const x of xs) if (x < m) m = x;
  return m;
}

const MEGATRON_AXES = ['dp', 'pp', 'tp'];

/**
 * The mesh axes a heading names: every axis (dp, pp, tp shown even at size 1, as Megatron
 * describes a layout), except for a mesh whose only axes above size 1 are others — a PyTorch
 * file's "world", named alone ("world=4", not "pp=1 × dp=1 × tp=1 × world=4").
 */
export function shownAxes(axes: readonly string[], sizeOf: (axis: string) => number): string[] {
  const others = axes.filter((a) => !MEGATRON_AXES.includes(a));
  const onlyOthers = others.some((a) => sizeOf(a) > 1) && !axes.some((a) => MEGATRON_AXES.includes(a) && sizeOf(a) > 1);
  return onlyOthers ? others.filter((a) => sizeOf(a) > 1) : [...axes];
}
