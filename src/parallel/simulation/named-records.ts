import { SimError } from '../../core/errors.js';
import type { SimResult } from '../../core/simulate.js';
import type { VerificationInfo } from '../../report/types.js';
import type { RankRecord } from '../verify/by-name.js';
import type { ModuleShape, ShardRecordRow } from './report-build.js';

/**
 * The report's rows from what a run recorded by module name (a PyTorch file, a custom `program`):
 * each parameter's shard on each rank, each module's output shape on each rank.
 */
export function shardRows(records: readonly (RankRecord | undefined)[]): ShardRecordRow[] {
  const rows: ShardRecordRow[] = [];
  for (const r of records) {
    if (!r) continue;
    for (const p of r.params) rows.push({ rank: r.rank, module: p.module, param: p.name.slice(p.name.lastIndexOf('.') + 1), kind: p.kind, tensor: p.tensor, builtAt: p.site });
  }
  return rows;
}

export function moduleShapes(records: readonly (RankRecord | undefined)[]): ModuleShape[] {
  const out: ModuleShape[] = [];
  for (const r of records) {
    if (!r) continue;
    const seen = new Set<string>();
    for (const c of r.calls) {
      if (seen.has(c.name)) continue;
      seen.add(c.name);
      out.push({ rank: r.rank, module: c.name, kind: c.kind, outputShape: c.shape, builtAt: c.site });
    }
  }
  return out;
}

/** Free the values a record kept (outputs, gradients, vectors). */
export function disposeRecords(records: readonly (RankRecord | undefined)[]): void {
  for (const r of records) {
    if (!r) continue;
    for (const c of r.calls) if (c.data && !c.data.isDisposed) c.data.dispose();
    for (const p of r.params) {
      if (p.grad && !p.grad.isDisposed) p.grad.dispose();
      if (p.value && !p.value.isDisposed) p.value.dispose();
    }
  }
}

/**
 * A run that failed downstream of a wrong value (a shape error two layers later): the comparison
 * of what it recorded names where it first went wrong, in the first error's fix.
 */
export function withFirstDifference(res: SimResult, verification: VerificationInfo, basename: (file: string) => string): SimResult {
  const d = verification.firstDivergence;
  if (res.ok || !d || !res.errors.length) return res;
  const e0 = res.errors[0];
  const at = d.source ? ` (${basename(d.source.file)}:${d.source.line})` : '';
  const first = `the first difference from the world-size-1 run comes earlier — ${d.message}${at}`;
  return { ...res, errors: [new SimError(e0.kind, e0.headline, { ranks: e0.ranks, source: e0.source, fix: e0.fix ? `${first}; ${e0.fix}` : first }), ...res.errors.slice(1)] };
}
