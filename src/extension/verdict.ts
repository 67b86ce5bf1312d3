/** The one line a run comes down to, shown in the status bar, the CodeLens and the panel. */
import type { Verdict } from '../protocol.js';
import type { Report } from '../report/types.js';
import { fmtErr } from './format.js';
import { maxOf } from '../report/format.js';
import { referenceOf } from '../report/verdict.js';

export function verdictOf(r: Report): Verdict {
  if (r.errors.length) {
    const e = r.errors[0];
    return { status: 'failed', text: `failed: ${e.headline}` };
  }
  const v = r.verification;
  if (v.firstDivergence) return { status: 'diverged', text: `not verified: ${v.firstDivergence.where || 'the model'} differs from ${referenceOf(v)} (max |Δ| ${fmtErr(v.firstDivergence.maxAbs)})` };
  if (!v.passed) return { status: 'diverged', text: `not verified${v.skipped ? `: ${v.skipped}` : ''}` };
  if (v.skipped) return { status: 'shapes-only', text: r.mode === 'meta' ? 'shapes and traffic only (meta mode)' : `not compared: ${v.skipped}` };
  const out = maxOf(v.outputs.map((o) => o.maxAbs), 0);
  const grads = maxOf(v.grads.map((g) => g.maxAbs), 0);
  const parts = [`${fmtErr(out)} (out)`];
  if (v.grads.length) parts.push(`${fmtErr(grads)} (grads)`);
  return { status: 'verified', text: `verified: max |Δ| ${parts.join(', ')}` };
}
