import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StreamedEvent } from '../../src/extension/live.js';
import { RunAborted, type LoadedInfo } from '../../src/extension/runner.js';
import { DEFAULT_SETTINGS } from '../../src/extension/settings.js';
import { forEditor, jspiError, WorkerRunner } from '../../src/extension/worker-runner.js';
import { pythonAvailable } from '../../src/runner/python/interpreter.js';
import * as path from 'node:path';
import { EXAMPLE, lineOf } from './helpers/reports.js';

describe('the extension runs scripts in a worker thread', () => {
  test('examples/ffn_tp4.ts in meta mode: streamed events, then the report with the script\'s lines', async () => {
    const events: StreamedEvent[] = [];
    let info: LoadedInfo | undefined;
    let ticks = 0;
    const beat = setInterval(() => ticks++, 5); // the host's event loop stays free while it runs
    const h = new WorkerRunner().start({ script: EXAMPLE, mode: 'meta', settings: { ...DEFAULT_SETTINGS, backend: 'cpu' } }, { onStarted: (i) => (info = i), onEvent: (e) => events.push(e) });
    const report = await h.result;
    clearInterval(beat);
    assert.equal(report.exitCode, 0, JSON.stringify(report.errors));
    assert.equal(report.mode, 'meta');
    assert.deepEqual(info?.mesh, { tp: 4 });
    assert.ok(events.some((e) => e.type === 'ledger'));
    assert.ok(events.some((e) => e.type === 'progress' && e.stage === 'load'));
    assert.deepEqual(report.collectives.map((c) => [c.phase, c.bytes, c.sentBytesPerRank, c.source?.line]), [
      ['forward', 4_194_304, 6_291_456, lineOf(EXAMPLE, 'new RowParallelLinear(')],
      ['backward', 4_194_304, 6_291_456, lineOf(EXAMPLE, 'new ColumnParallelLinear(')],
    ]);
    assert.ok(ticks > 0, 'the event loop ran during the simulation');
  });

  test('Stop ends the run as cancelled', async () => {
    const h = new WorkerRunner().start({ script: EXAMPLE, mode: 'numeric', settings: DEFAULT_SETTINGS }, { onEvent: () => {} });
    h.cancel();
    await assert.rejects(h.result, (e: unknown) => e instanceof RunAborted && e.reason === 'cancelled');
  });

  test('limits are explained with the settings to change, not the command line\'s flags', () => {
    const req = { script: EXAMPLE, mode: 'numeric' as const, settings: { ...DEFAULT_SETTINGS, timeLimitS: 7 } };
    const t = forEditor({ kind: 'time-limit', message: 'x', headline: 'time limit of 7 s exceeded — raise --timeout', ranks: [] }, req);
    assert.match(t.headline, /time limit of 7 s/);
    assert.match(t.fix ?? '', /autodist\.timeLimit.*Simulate in Meta Mode/);
    assert.doesNotMatch(`${t.headline} ${t.fix}`, /--/);
    const m = forEditor({ kind: 'memory-limit', message: 'x', headline: 'would need about 9.0 GiB, above the limit of 4.0 GiB', fix: 'use --meta', ranks: [] }, req);
    assert.match(m.fix ?? '', /autodist\.memoryLimit/);
    assert.doesNotMatch(m.fix ?? '', /--/);
  });

  test('a Python run in an extension host without JSPI goes to a child process given the flag, and streams the same', { skip: pythonAvailable() ? false : 'no JSPI in this Node', timeout: 180_000 }, async () => {
    const file = path.resolve(__dirname, '../../examples/python/ffn_tp4.py');
    const events: StreamedEvent[] = [];
    let info: LoadedInfo | undefined;
    let ticks = 0;
    const beat = setInterval(() => ticks++, 5);
    const h = new WorkerRunner({ jspi: () => false }).start({ script: file, mode: 'meta', settings: { ...DEFAULT_SETTINGS, nprocPerNode: 4 } }, { onStarted: (i) => (info = i), onEvent: (e) => events.push(e) });
    const report = await h.result;
    clearInterval(beat);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(info?.mesh, { world: 4 });
    // fc2's forward all-reduce of [2, 8, 64] fp32 (4096 B) and CopyToTP's backward one, at their lines
    const text = (await import('node:fs')).readFileSync(file, 'utf8').split('\n');
    const line = (m: string) => text.findIndex((l) => l.includes(m)) + 1;
    assert.deepEqual(report.collectives.map((c) => [c.phase, c.bytes, c.source?.line]), [
      ['forward', 4096, line('        dist.all_reduce(y)')],
      ['backward', 4096, line('        dist.all_reduce(dy)')],
    ]);
    const printed = events.filter((e) => e.type === 'output').map((e) => (e as { rank: number }).rank);
    assert.deepEqual([...new Set(printed)].sort(), [0, 1, 2, 3]);
    assert.ok(ticks > 0, 'the event loop ran during the simulation');
  });

  test('a process that cannot get JSPI is explained: what the host is, and how to run the file instead', () => {
    const req = { script: '/w/train.py', mode: 'numeric' as const, settings: DEFAULT_SETTINGS };
    const e = forEditor({ kind: 'user-exception', message: 'this JavaScript engine cannot suspend WebAssembly (no JSPI): run AutoDist on Node ≥ 24', headline: 'x', ranks: [] }, req);
    assert.match(e.headline, /^Python files need WebAssembly stack switching \(JSPI\), which Node \d+/);
    assert.match(e.fix ?? '', /npx autodist simulate FILE\.py --nproc-per-node N/);
    assert.ok(jspiError({ kind: 'internal', message: 'the simulation worker exited (code 9) without a report:\nnode: bad option: --experimental-wasm-stack-switching', headline: 'x', ranks: [] }));
    assert.equal(jspiError({ kind: 'shape', message: 'mat1 and mat2 shapes cannot be multiplied', headline: 'x', ranks: [] }), undefined);
  });

  test('a second Python run reuses the first one\'s worker, its interpreter already loaded; Stop does not keep it', { skip: pythonAvailable() ? false : 'no JSPI in this Node', timeout: 240_000 }, async () => {
    const file = path.resolve(__dirname, '../../examples/python/ffn_tp4.py');
    const runner = new WorkerRunner();
    const run = async () => {
      const progress: string[] = [];
      const report = await runner.start({ script: file, mode: 'meta', settings: { ...DEFAULT_SETTINGS, nprocPerNode: 4 } }, { onEvent: (e) => e.type === 'progress' && progress.push(e.message) }).result;
      return { report, progress };
    };
    const first = await run();
    const second = await run();
    for (const r of [first, second]) {
      assert.deepEqual(r.report.errors, []);
      assert.deepEqual(r.report.collectives.map((c) => [c.phase, c.bytes]), [['forward', 4096], ['backward', 4096]]);
    }
    // the interpreter starts in the first run only ("Python 3.x ready in N s")
    assert.ok(first.progress.some((m) => /^Python [\d.]+ ready in/.test(m)), first.progress.join('\n'));
    assert.ok(!second.progress.some((m) => /^Python [\d.]+ ready in/.test(m)), second.progress.join('\n'));
    // a stopped run's worker is not kept: the next starts Python again
    const h = runner.start({ script: file, mode: 'meta', settings: { ...DEFAULT_SETTINGS, nprocPerNode: 4 } }, { onEvent: () => {} });
    h.cancel();
    await assert.rejects(h.result, (e: unknown) => e instanceof RunAborted && e.reason === 'cancelled');
    const third = await run();
    assert.ok(third.progress.some((m) => /^Python [\d.]+ ready in/.test(m)), third.progress.join('\n'));
    runner.dispose();
  });
});
