/**
 * The seed-003 FFN (examples/ffn_tp4.ts: TP=4, B=8, S=128, d=1024) run by "AutoDist: Simulate":
 * the verdict, the mesh grid, the shard table, the traffic ledger, the inline hints on the lines
 * that built the layers and the hover's per-rank table.
 */
import assert from 'node:assert/strict';
import { cells, lineIn, norm, simulate, UI_MS, RUN_MS, type UiContext } from './common.js';
import { until } from '../lib/workbench.js';

export async function ffnScenario(c: UiContext, blocked: string | null): Promise<void> {
  const { h, wb } = c;
  const rel = 'examples/ffn_tp4.ts';
  let runBlock = blocked;
  let verdict = { status: '', text: '' };
  const ran = await h.check(
    `"AutoDist: Simulate" from the Command Palette runs ${rel} (seed-003 FFN, TP=4, B=8, S=128, d=1024) and the panel shows its verdict`,
    RUN_MS + 60_000,
    async () => {
      verdict = await simulate(c, rel, 'AutoDist: Simulate', '01-ffn-running');
      await c.shot('02-ffn-overview', 'panel');
    },
    blocked,
  );
  if (!ran) runBlock ??= 'the FFN run did not finish';

  await h.check('the panel\'s verdict reads "verified" (sharded run matches the unsharded model)', UI_MS, async () => {
    assert.equal(verdict.status, 'verified', `the verdict banner says: ${verdict.text}`);
    assert.match(verdict.text, /^verified: max \|Δ\|/);
  }, runBlock);

  await h.check('the panel\'s overview shows the mesh as a grid of 4 ranks: rank 0–3 at tp 0–3', UI_MS, async () => {
    const f = await wb.panelTab('overview');
    assert.equal(norm(await f.locator('.mesh h3').textContent()), 'Mesh: dp 1 × pp 1 × tp 4');
    const ranks = await f.locator('.mesh-grid .rank-cell[data-rank]').evaluateAll((els) => els.map((e) => e.getAttribute('data-rank')));
    assert.deepEqual(ranks, ['0', '1', '2', '3'], 'one cell per rank, in tp order');
    const labels = (await f.locator('.mesh-grid .rank-cell .rank-id').allTextContents()).map(norm);
    assert.deepEqual(labels, ['rank 0', 'rank 1', 'rank 2', 'rank 3']);
    const coords = (await f.locator('.mesh-grid .rank-cell .rank-coords').allTextContents()).map(norm);
    assert.deepEqual(coords, ['dp0 · pp0 · tp0', 'dp0 · pp0 · tp1', 'dp0 · pp0 · tp2', 'dp0 · pp0 · tp3']);
  }, runBlock);

  await h.check('the panel\'s Shards tab lists fc1.weight [1024, 4096] → [1024, 1024] (Shard(1)) and fc2.weight [4096, 1024] → [1024, 1024] (Shard(0)) on each of ranks 0–3', UI_MS, async () => {
    const f = await wb.panelTab('shards');
    await f.locator('tr.shard-row').first().waitFor({ timeout: UI_MS });
    await c.shot('03-ffn-shards', 'panel');
    for (const [mod, global, placement] of [['fc1', '[1024, 4096]', 'Shard(1)'], ['fc2', '[4096, 1024]', 'Shard(0)']] as const) {
      const rows = f.locator(`tr.shard-row[data-module="${mod}"][data-param="weight"]`);
      assert.equal(await rows.count(), 4, `${mod}.weight has a row on each of the 4 ranks`);
      for (let r = 0; r < 4; r++) {
        const cs = await cells(f.locator(`tr.shard-row[data-module="${mod}"][data-param="weight"][data-rank="${r}"]`));
        // module, param, kind, rank, coords, global, local, placement, built at
        assert.deepEqual([cs[0], cs[1], cs[3], cs[4], cs[5], cs[6], cs[7]], [mod, 'weight', String(r), `tp=${r}`, global, '[1024, 1024]', placement], `${mod}.weight on rank ${r}`);
        assert.match(cs[8], /^ffn_tp4\.ts:\d+$/, `${mod}.weight on rank ${r} links to the line that built it`);
      }
    }
  }, runBlock);

  await h.check('the panel\'s Shards tab lists the local outputs of fc1 and fc2 on every rank as [8, 128, 1024]', UI_MS, async () => {
    const f = await wb.panelTab('shards');
    for (const mod of ['fc1', 'fc2']) {
      const rows = f.locator(`tr.output-row[data-module="${mod}"]`);
      assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-rank'))), ['0', '1', '2', '3'], `${mod} has an output row on each rank`);
      for (const cs of await Promise.all((await rows.all()).map(cells))) assert.deepEqual([cs[0], cs[3]], [mod, '[8, 128, 1024]'], `${mod} output on rank ${cs[2]}`);
    }
  }, runBlock);

  for (const phase of ['forward', 'backward'] as const) {
    await h.check(`the panel's traffic view lists one ${phase} all-reduce of 4,194,304 bytes (4.0 MiB) with 6,291,456 bytes (6.0 MiB) sent per rank`, UI_MS, async () => {
      const f = await wb.panelTab('traffic');
      await f.locator('tr.ledger-row').first().waitFor({ timeout: UI_MS });
      if (phase === 'forward') await c.shot('04-ffn-traffic', 'panel');
      const rows = f.locator(`tr.ledger-row[data-phase="${phase}"]`);
      assert.equal(await rows.count(), 1, `one ${phase} collective`);
      const row = rows.first();
      assert.equal(await row.getAttribute('data-op'), 'all_reduce');
      const cs = await cells(row);
      // #, op, phase, group, shape, bytes, algorithm, sent/rank, wire, time, module, line
      assert.equal(cs[1], 'all-reduce');
      assert.equal(cs[3], 'tp [0,1,2,3]', 'over the tp group of all 4 ranks');
      assert.equal(cs[4], '[8, 128, 1024] float32');
      assert.equal(norm(await row.locator('.bytes').textContent()), '4,194,304');
      assert.equal(cs[5], '4,194,304 4.0 MiB');
      assert.equal(cs[6], 'ring');
      assert.equal(norm(await row.locator('.sent').textContent()), '6,291,456');
      assert.equal(cs[7], '6,291,456 6.0 MiB');
      assert.equal(cs[10], phase === 'forward' ? 'fc2' : 'fc1', 'issued by fc2 forward (row-parallel output), by fc1 backward (dX)');
    }, runBlock);
  }

  await h.check('the panel\'s traffic totals read 2 collectives, logical 8.0 MiB (8,388,608 B)', UI_MS, async () => {
    const f = await wb.panelTab('traffic');
    assert.equal(await f.locator('tr.ledger-row').count(), 2, 'exactly two collectives in the ledger');
    const totals = norm(await f.locator('.totals').textContent());
    assert.match(totals, /^2 collectives · logical 8\.0 MiB \(8,388,608 B\)/, totals);
  }, runBlock);

  await h.check('the panel\'s Verification tab shows every output and gradient check passed', UI_MS, async () => {
    const f = await wb.panelTab('verification');
    await f.locator('tr.check').first().waitFor({ timeout: UI_MS });
    await c.shot('05-ffn-verification', 'panel');
    assert.equal(await f.locator('tr.check-fail').count(), 0, 'no failed check');
    const names = await f.locator('table.grads-checks tr.check[data-passed="true"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-name') ?? ''));
    for (const n of ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']) assert.ok(names.includes(n), `${n}'s gradient is compared and passes (got ${names.join(', ')})`);
  }, runBlock);

  const fc1 = 'fc1 = new ColumnParallelLinear';
  const fc2 = 'fc2 = new RowParallelLinear';
  const fc1Line = blocked ? 0 : lineIn(c.workspace, rel, fc1);
  const fc2Line = blocked ? 0 : lineIn(c.workspace, rel, fc2);
  await h.check(`the editor shows inline hints, whole at VS Code's default 43-character limit, at the end of the lines that built the layers: line ${fc1Line} (fc1) "tp=4 · W→[1024×1024] · out [8,128,1024]", line ${fc2Line} (fc2) "all-reduce fwd 4.0 MiB · 6.0 MiB sent/rank"`, UI_MS * 2, async () => {
    await wb.openFile(rel);
    const want = [
      { line: fc1Line, text: 'tp=4 · W→[1024×1024] · out [8,128,1024]' },
      { line: fc2Line, text: 'all-reduce fwd 4.0 MiB · 6.0 MiB sent/rank' },
    ];
    const hints = await until(UI_MS, `inlay hints on lines ${fc1Line} and ${fc2Line}`, async () => {
      const got = await wb.inlayHints();
      return want.every((w) => got.some((g) => g.line === w.line)) ? got : undefined;
    });
    assert.deepEqual(hints, want, 'exactly these two hints, each on the line that built its layer');
    await c.shot('06-ffn-inlay-hints', 'editor');
  }, runBlock);

  await h.check('hovering the fc2 line shows AutoDist\'s per-rank table: fc2 weight [4096, 1024] → [1024, 1024] on ranks 0–3', UI_MS * 2, async () => {
    const page = wb.page;
    const token = wb.line(fc2).locator('span', { hasText: 'RowParallelLinear' }).last();
    const hover = page.locator('.monaco-hover:visible', { hasText: 'AutoDist' });
    await until(UI_MS, 'the AutoDist hover over the fc2 line', async () => {
      const b = await token.boundingBox();
      if (!b) return undefined;
      await page.mouse.move(b.x + 5, b.y + b.height / 2);
      await page.mouse.move(b.x + 10, b.y + b.height / 2);
      try {
        await hover.first().waitFor({ state: 'visible', timeout: 3000 });
        return true;
      } catch {
        await page.mouse.move(5, 5);
        return undefined;
      }
    }, 500);
    const rows: string[][] = [];
    for (const tr of await hover.first().locator('table tr').all()) rows.push((await tr.locator('td, th').allTextContents()).map(norm));
    const weights = rows.filter((r) => r[2] === 'fc2' && r[3] === 'weight');
    assert.deepEqual(weights.map((r) => r[0]), ['0', '1', '2', '3'], `a weight row per rank in the hover table; rows: ${JSON.stringify(rows)}`);
    for (const r of weights) assert.deepEqual([r[1], r[4], r[5], r[6]], [`tp=${r[0]}`, '[4096, 1024]', '[1024, 1024]', 'Shard(0)']);
    const ledger = rows.filter((r) => r[1] === 'all-reduce (sum)');
    assert.equal(ledger.length, 1, 'the hover lists the forward all-reduce issued at that line');
    assert.match(ledger[0][5], /^4,194,304 \(4\.0 MiB\)$/);
    await c.shot('07-ffn-hover', 'editor');
    await page.mouse.move(5, 5);
  }, runBlock);
}

