/**
 * The report as files, made by the same code as the command line's: the Chrome / Perfetto trace
 * (`autodist simulate --trace`) and the standalone HTML report (`--html`).
 */
export { chromeTrace as perfettoTrace } from '../cli/chrome-trace.js';
export { reportHtml } from '../report-html/html.js';
