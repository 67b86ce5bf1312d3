/** How the panel writes numbers: the same conventions as the inline hints. */
export { basename, fmtBytes, fmtErr, fmtInt, fmtOp, fmtPct, fmtRanks, fmtShape, fmtUs } from '../src/report/format.js';
