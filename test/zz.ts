import { record, EXAMPLE } from './extension/helpers/reports.js';
import { verdictOf } from '../src/extension/verdict.js';
(async () => { const t0 = performance.now(); const r = await record(EXAMPLE); console.log(performance.now() - t0, verdictOf(r.report)); })();
