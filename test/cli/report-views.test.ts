import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromeTrace, rankName } from '../../src/cli/chrome-trace.js';
import { Progress } from '../../src/cli/progress.js';
import { summarize } from '../../src/cli/summary.js';
import { reportHtml } from '../../src/report-html/html.js';
import type { Report, TimelineEvent } from '../../src/report/types.js';
import { failureReport } from '../../src/runner/partial-report.js';
import type { RunInfo } from '../../src/runner/protocol.js';

const INFO: RunInfo = { script: '/w/s.ts', backend: 'cpu', mode: 'numeric', mesh: { pp: 2, tp: 2 }, model: { name: 'ffn', params: 10, config: {}, layers: ['fc1', 'fc2'] }, input: { batch: 2, seq: 4 } };

/** A report of a stopped run with `n` tiny compute events on each of 4 ranks (pp=2 × tp=2). */
function stopped(n: number, headline = 'time limit of 2 s exceeded'): Report {
  const trace: TimelineEvent[] = [];
  for (let rank = 0; rank < 4; rank++) for (let i = 0; i < n; i++) trace.push({ rank, kind: 'compute', name: 'matmul', phase: 'forward', startUs: i, endUs: i + 0.9 });
  return failureReport({ info: INFO, errors: [{ kind: 'time-limit', message: headline, headline, ranks: [] }], trace: trace.map((e) => ({ ...e })), wallMs: 5 });
}

describe('report views', () => {
  test('a stopped run keeps what was streamed: mesh, stages, timeline', () => {
    const r = stopped(10);
    assert.equal(r.exitCode, 2);
    assert.deepEqual(r.mesh.sizes, [2, 1, 2]);
    assert.equal(r.stages.length, 2);
    assert.equal(r.timeline.events.length, 40);
    assert.equal(r.timeline.stepTimeUs, 9.9);
    assert.equal(rankName(r, 3), 'rank 3 (dp=0, pp=1, tp=1)');
    const s = summarize(r);
    assert.match(s, /Mesh {4}pp=2 × dp=1 × tp=2 = 4 ranks/);
    assert.match(s, /Stage 1 {2}ranks 2-3/);
    assert.match(s, /✗ ERROR {2}time limit of 2 s exceeded/);
  });

  test('a PyTorch file\'s "world" mesh is named alone on the terminal and in the HTML report; pp/dp/tp stay when one of them is above 1', () => {
    const r = stopped(1);
    const world: Report = { ...r, mesh: { axes: ['pp', 'dp', 'tp', 'world'], sizes: [1, 1, 1, 4], worldSize: 4, coords: [0, 1, 2, 3].map((w) => ({ pp: 0, dp: 0, tp: 0, world: w })) } };
    assert.match(summarize(world), /Mesh {4}world=4 = 4 ranks/);
    assert.match(reportHtml(world), /<h3>Mesh world=4 = 4 ranks/);
    assert.match(summarize(r), /Mesh {4}pp=2 × dp=1 × tp=2 = 4 ranks/);
  });

  test('the HTML timeline merges sub-pixel events, so huge runs stay small', () => {
    const html = reportHtml(stopped(20_000));
    const rects = (html.match(/<rect /g) ?? []).length;
    assert.ok(rects < 400, `${rects} rects for 80 000 events`);
    assert.match(html, /20000 compute events \(forward\)/);
    assert.ok(html.length < 300_000, `${html.length} bytes`);
  });

  test('HTML escapes the person\'s text; the trace names every rank even without events', () => {
    const r = stopped(0, 'bad <script>alert("x")</script> & more');
    const html = reportHtml(r);
    assert.ok(!html.includes('<script>alert'), 'no markup from the report');
    assert.match(html, /bad &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; more/);
    const t = chromeTrace(r);
    assert.equal(t.traceEvents.filter((e) => e.name === 'process_name').length, 4);
    assert.equal(t.traceEvents.filter((e) => e.ph === 'X').length, 0);
  });

  test('a report of a script that did not load has no mesh and still renders', () => {
    const r = failureReport({ script: '/w/s.ts', errors: [{ kind: 'syntax', message: 'syntax error in s.ts', headline: 'syntax error in s.ts', ranks: [], source: { file: '/w/s.ts', line: 3, column: 5 } }], wallMs: 1 });
    assert.equal(r.mesh.worldSize, 0);
    assert.match(summarize(r, { cwd: '/w' }), /✗ ERROR {2}syntax error in s\.ts {2}\(s\.ts:3\)/);
    assert.match(reportHtml(r), /the mesh is unknown/);
    assert.equal(chromeTrace(r).traceEvents.length, 0);
  });

  test('a stopped run that streamed tallies says how much of its ledger the report holds', () => {
    const entry = (seq: number) => ({ seq, op: 'all_reduce', reduceOp: 'sum', axis: 'tp', group: 'tp[0,1]', ranks: [0, 1], phase: 'forward', dtype: 'float32', shape: [4], elements: 4, bytes: 16, algorithm: 'ring', sentBytes: [16, 16], recvBytes: [16, 16], sentBytesPerRank: 16, wireBytes: 32, steps: 2, link: 'nvlink', startUs: seq, timeUs: 1, multiplicity: 1 }) as const;
    const ledger = [entry(0), entry(1)];
    const err = { kind: 'time-limit', message: 'time limit', headline: 'time limit', ranks: [] };
    const short = failureReport({ info: INFO, errors: [err], ledger, recorded: { ledger: 9000, trace: 40000 }, wallMs: 5 });
    assert.equal(short.verification.skipped, 'the run did not finish: time limit; the ledger holds the first 2 of the 9,000 entries recorded');
    assert.equal(short.collectives.length, 2);
    const whole = failureReport({ info: INFO, errors: [err], ledger, recorded: { ledger: 2, trace: 0 }, wallMs: 5 });
    assert.equal(whole.verification.skipped, 'the run did not finish: time limit');
  });

  test('progress: a bar redrawn in place on a terminal, one line per change when piped', () => {
    const sink = () => {
      const chunks: string[] = [];
      return { chunks, stream: { columns: 120, write: (c: string) => chunks.push(c) } as unknown as NodeJS.WriteStream };
    };
    const tty = sink();
    const bar = new Progress(tty.stream, true);
    bar.event({ type: 'progress', stage: 'sharded', percent: 50, message: 'rank 1 done' });
    bar.event({ type: 'progress', stage: 'sharded', percent: 100, message: 'rank 3 done' });
    bar.done();
    assert.ok(tty.chunks.every((c) => c.startsWith('\r')), 'redrawn in place');
    assert.match(tty.chunks[0], /\[#{12}\.{12}\] sharded +50%  rank 1 done/);
    assert.equal(tty.chunks.at(-1), '\r\x1b[2K', 'cleared before the summary');

    const counted = sink();
    const withTally = new Progress(counted.stream, true);
    withTally.event({ type: 'ledger', entry: {} as never });
    withTally.event({ type: 'tally', ledger: 123456, trace: 7 }); // past the stream limit: counts come as tallies
    withTally.event({ type: 'progress', stage: 'sharded', percent: 10, message: 'running' });
    assert.match(counted.chunks.at(-1)!, / · 123456 collectives · /);

    const pipe = sink();
    const lines = new Progress(pipe.stream, false);
    for (let i = 0; i < 3; i++) lines.event({ type: 'progress', stage: 'verify', percent: 0, message: 'comparing' });
    assert.deepEqual(pipe.chunks, ['autodist: verify      0%  comparing\n']);
  });

  test('src/report-html is pure: no node, no vscode, no runner (the webview may render reports with it)', () => {
    const dir = path.join(__dirname, '..', '..', 'src', 'report-html');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 5);
    for (const f of files) {
      for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)) {
        assert.ok(/^\.\/|^\.\.\/report\//.test(m[1]), `${f} imports ${m[1]}`);
      }
    }
  });
});
