import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StreamedEvent } from '../../src/extension/live.js';
import { RunAborted, type LoadedInfo } from '../../src/extension/runner.js';
import { DEFAULT_SETTINGS } from '../../src/extension/settings.js';
import { forEditor, WorkerRunner } from '../../src/extension/worker-runner.js';
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
});
