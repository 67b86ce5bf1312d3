/**
 * Verification: the sharded run against the unsharded model — each output and gradient's error
 * against its tolerance, the first divergence with a jump to its line, and the run's errors with
 * every rank's site.
 */
import type { ErrorCheck, ReportError } from '../../src/report/types.js';
import { h, replace } from '../dom.js';
import { fmtErr, fmtShape } from '../format.js';
import { errorsOf, type PanelState } from '../state.js';
import { button } from '../toolkit.js';
import { verdictBanner } from './overview.js';
import { emptyNote, openSource, row, sourceLink, table, type View, type ViewContext } from './view.js';

export class VerificationView implements View {
  constructor(
    private readonly el: HTMLElement,
    private readonly ctx: ViewContext,
  ) {}

  update(s: PanelState, force: boolean): void {
    const r = s.report;
    const errors = errorsOf(s);
    if (!r) {
      replace(this.el, verdictBanner(s), errors.length ? this.errors(errors) : emptyNote(s.phase === 'running' ? 'The comparison runs after the sharded run.' : 'No report yet.'));
      return;
    }
    const v = r.verification;
    const d = v.firstDivergence;
    replace(
      this.el,
      verdictBanner(s),
      v.skipped ? h('p', { class: 'note' }, `Not compared: ${v.skipped}.`) : null,
      d
        ? h(
            'div',
            { class: 'divergence', role: 'alert' },
            h('h3', null, `First divergence: ${d.where || 'the model'} (${d.kind})`),
            h('p', { class: 'message' }, d.message),
            h('p', null, `max |Δ| ${fmtErr(d.maxAbs)}${d.rank !== undefined ? ` · rank ${d.rank}` : ''}`),
            d.source ?? d.builtAt ? button(`Go to line ${(d.source ?? d.builtAt)!.line}`, () => openSource(this.ctx, (d.source ?? d.builtAt)!), { appearance: 'primary', id: 'goto-divergence' }) : null,
            d.builtAt && d.source && d.builtAt.line !== d.source.line ? h('p', { class: 'dim' }, 'built at ', sourceLink(this.ctx, d.builtAt)) : null,
          )
        : null,
      v.loss ? h('p', null, `loss: sharded ${v.loss.sharded.toPrecision(7)} · unsharded ${v.loss.reference.toPrecision(7)}`) : null,
      errors.length ? this.errors(errors) : null,
      v.outputs.length ? [h('h3', null, 'Outputs'), this.checks(v.outputs, 'outputs-checks')] : null,
      v.grads.length ? [h('h3', null, 'Gradients'), this.checks(v.grads, 'grads-checks')] : null,
    );
  }

  private checks(cs: readonly ErrorCheck[], cls: string): HTMLElement {
    const num = [false, false, false, true, true, true, false, false];
    return table(
      cls,
      ['', 'name', 'shape', 'max |Δ|', 'max rel', 'tolerance', 'note', 'line'],
      cs.map((c) => row([h('span', { class: c.passed ? 'pass' : 'fail', 'aria-label': c.passed ? 'passed' : 'failed' }, c.passed ? '✓' : '✗'), c.name, fmtShape(c.shape), fmtErr(c.maxAbs), fmtErr(c.maxRel), fmtErr(c.tolerance), c.note ?? '', sourceLink(this.ctx, c.source)], num, { class: c.passed ? 'check check-pass' : 'check check-fail', 'data-name': c.name, 'data-passed': String(c.passed) })),
      num,
    );
  }

  private errors(es: readonly ReportError[]): HTMLElement {
    return h(
      'div',
      { class: 'errors' },
      h('h3', null, `Errors (${es.length})`),
      es.map((e) =>
        h(
          'div',
          { class: 'error', role: 'alert' },
          h('p', null, e.headline.startsWith(e.kind) ? null : [h('strong', null, e.kind), ': '], e.headline, e.source && !e.ranks.some((x) => x.source) ? [' ', sourceLink(this.ctx, e.source)] : null),
          e.ranks.length ? h('ul', null, e.ranks.map((x) => h('li', { class: 'rank-error', 'data-rank': x.rank }, `rank ${x.rank}: ${x.detail} `, sourceLink(this.ctx, x.source)))) : null,
          e.fix ? h('p', { class: 'fix' }, `Fix: ${e.fix}`) : null,
        ),
      ),
    );
  }
}
