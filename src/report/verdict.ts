import { fmtErr } from './format.js';
import type { VerificationInfo } from './types.js';

/** What a passed verification was compared with: the unsharded model, or the file's own world-size-1 run. */
export function referenceOf(v: VerificationInfo): string {
  return v.reference === 'world-size-1' ? 'its world-size-1 run' : 'the unsharded model';
}

/** "max |Δ| 3e-8 (outputs), 7e-10 (gradients)", saying so when a run had no backward to compare. */
export function errorsLine(v: VerificationInfo): string {
  const max = (xs: readonly { maxAbs: number }[]) => xs.reduce((m, x) => Math.max(m, x.maxAbs), 0);
  const outs = v.outputs.length ? `${fmtErr(max(v.outputs))} (outputs)` : 'no outputs compared';
  const grads = v.grads.length ? `${fmtErr(max(v.grads))} (gradients)` : 'no gradients (nothing ran backward)';
  return `max |Δ| ${outs}, ${grads}`;
}
