/** Number formats shared by the text summary and the HTML report (pure: no node, no DOM). */
import { fmtRanks as fmtRankRuns, fmtShape as fmtShapeOf } from '../report/format.js';

/** 4194304 → "4.0 MiB" (binary units, as nccl-tests and PyTorch print sizes). */
export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return String(b);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(b);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return `${b < 0 ? '-' : ''}${s} ${units[i]}`;
}

/** Simulated time in µs → "25.1 µs", "1.23 ms", "2.50 s". */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us < 1000) return `${us < 10 ? us.toFixed(2) : us.toFixed(1)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(2)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** [8, 128, 1024] → "[8, 128, 1024]". */
export const fmtShape = (s: readonly number[] | undefined): string => fmtShapeOf(s);

/** 8393728 → "8.4M". */
export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** A small error number: 7.03e-6, 0.41, 0. */
export function fmtErr(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 0.01 && Math.abs(x) < 1000 ? x.toPrecision(2) : x.toExponential(1);
}

/** [0,1,2,3,6] → "0-3, 6". */
export const fmtRanks = (ranks: readonly number[]): string => fmtRankRuns(ranks, '-');
