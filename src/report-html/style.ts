/** The HTML report's stylesheet (inlined: the file must open with no other file beside it). */
export const STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --ok: #1a7f37; --bad: #cf222e; --info: #0969da; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
header { padding: 16px 24px 0; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: #fff; z-index: 1; }
h1 { display: inline; font-size: 20px; margin: 0 12px 0 0; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 18px 0 8px; }
.sub { color: var(--muted); margin: 6px 0; }
nav a { display: inline-block; margin: 6px 16px 8px 0; color: var(--info); text-decoration: none; }
main { padding: 0 24px 24px; }
footer { padding: 12px 24px; color: var(--muted); border-top: 1px solid var(--line); font-size: 12px; }
.badge { padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; font-size: 12px; vertical-align: 3px; }
.badge.ok { background: var(--ok); } .badge.bad { background: var(--bad); } .badge.info { background: var(--info); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 200px; max-width: 520px; background: var(--bg2); }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); cursor: default; }
table.sortable th { cursor: pointer; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { background: #ffebe9; }
tr.total td { font-weight: 600; }
table.mesh td.rankcell { width: 64px; height: 48px; text-align: center; vertical-align: middle; }
table.mesh td.mirror { opacity: .6; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.15); }
.note { color: var(--muted); font-size: 12px; }
.legend > span { margin-right: 14px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.verdict { font-weight: 600; padding: 6px 10px; border-radius: 6px; display: inline-block; }
.verdict.ok { background: #dafbe1; color: var(--ok); } .verdict.bad { background: #ffebe9; color: var(--bad); } .verdict.info { background: #ddf4ff; color: var(--info); }
.divergence, .error { border-left: 4px solid var(--bad); background: #fff8f7; padding: 8px 12px; margin: 10px 0; }
.at { color: var(--muted); }
svg.timeline { border: 1px solid var(--line); background: #fff; margin: 6px 0; }
svg.timeline .lane { fill: var(--bg2); }
svg.timeline .grid { stroke: var(--line); stroke-width: 1; }
svg.timeline .tick, svg.timeline .rank { font: 11px system-ui, sans-serif; fill: var(--muted); }
`;
