/** How the extension writes numbers: the shared report conventions, plus hint-only forms. */
export { fmtBytes, fmtErr, fmtInt, fmtOp, fmtShape, fmtUs } from '../report/format.js';

/** [1024, 4096] → "1024×4096" (hint style). */
export const fmtDims = (s: readonly number[]): string => s.join('×');

/** "forward" → "fwd", "backward" → "bwd". */
export function fmtPhase(phase: string): string {
  if (phase === 'forward') return 'fwd';
  if (phase === 'backward') return 'bwd';
  return phase;
}
