/**
 * PyTorch files as written, run from the editor: the seed-003 FFN in Python
 * (examples/python/ffn_tp4.py: 4 processes from its "# autodist:" line, H=64, B=2, S=8) — its
 * verdict, the inline hints at the .py lines that built the layers and called the all-reduce, the
 * hover's per-rank table — and the bias added before the all-reduce
 * (examples/python/ffn_bias_before_allreduce.py): a Problem at the line that built fc2.
 * Expected texts are derived by hand: fc1's W [4H, H] = [256, 64] split over 4 ranks along its
 * rows → [64, 64]; fc2's all-reduce of a [2, 8, 64] fp32 tensor is 4096 B (4.0 KiB), and a ring
 * sends 2·(4−1)/4 of it per rank: 6144 B (6.0 KiB).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { cells, lineIn, norm, simulate, UI_MS, RUN_MS, type UiContext } from './common.js';
import { until } from '../lib/workbench.js';

const FFN = 'examples/python/ffn_tp4.py';
const BIAS = 'examples/python/ffn_bias_before_allreduce.py';

/** Scroll the active editor to a 1-based line (the palette's ":N", Go to Line), so its hints render. */
async function reveal(c: UiContext, line: number): Promise<void> {
  const page = c.wb.page;
  await c.wb.escape();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget:not(.quick-input-widget-closing) .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: UI_MS });
  await input.fill(`:${line}`);
  await page.waitForTimeout(200);
  await page.keyboard.press('Enter');
  await until(UI_MS, `line ${line} is on screen`, async () => ((await c.wb.editor().locator('.line-numbers', { hasText: new RegExp(`^${line}$`) }).count()) ? true : undefined));
}

export async function pythonFfnScenario(c: UiContext, blocked: string | null): Promise<void> {
  const { h, wb } = c;
  let runBlock = blocked;
  let verdict = { status: '', text: '' };
  const ran = await h.check(`"AutoDist: Simulate" from the Command Palette runs the PyTorch file ${FFN} on the 4 processes its "# autodist:" line asks for, and the panel shows its verdict`, RUN_MS + 60_000, async () => {
    verdict = await simulate(c, FFN);
    await c.shot('20-py-ffn-overview', 'panel');
  }, blocked);
  if (!ran) runBlock ??= 'the Python FFN run did not finish';

  await h.check('the Python FFN\'s verdict reads "verified" (4 processes match the world-size-1 run of the same file)', UI_MS, async () => {
    assert.equal(verdict.status, 'verified', `the verdict banner says: ${verdict.text}`);
    assert.match(verdict.text, /^verified: max \|Δ\|/);
  }, runBlock);

  const line = (s: string) => (blocked ? 0 : lineIn(c.workspace, FFN, s));
  const want = [
    { line: line('        dist.all_reduce(y)'), text: 'all-reduce fwd 4.0 KiB · 6.0 KiB sent/rank' },
    { line: line('model.fc1 = ColumnParallelLinear('), text: 'world=4 · W[256×64]→[64×64] · out [2,8,64]' },
    { line: line('model.fc2 = RowParallelLinear('), text: 'world=4 · W[64×256]→[64×64] · out [2,8,64]' },
  ];
  await h.check(`the .py lines get inline hints: line ${want[0].line} (the all-reduce in RowParallelLinear.forward) "${want[0].text}", line ${want[1].line} (fc1) "${want[1].text}", line ${want[2].line} (fc2) "${want[2].text}"`, UI_MS * 3, async () => {
    await wb.openFile(FFN);
    for (const w of want) {
      await reveal(c, w.line);
      const got = await until(UI_MS, `an inlay hint on line ${w.line}`, async () => (await wb.inlayHints()).find((g) => g.line === w.line));
      assert.equal(got.text, w.text, `the hint on line ${w.line}`);
      if (w === want[1]) await c.shot('21-py-ffn-inlay-hints', 'editor');
    }
  }, runBlock);

  await h.check('hovering the fc1 line of the .py shows the per-rank table: fc1 weight [256, 64] → [64, 64], Shard(0), on ranks 0–3', UI_MS * 2, async () => {
    const page = wb.page;
    await reveal(c, want[1].line);
    const token = wb.line('model.fc1 = ColumnParallelLinear(').locator('span', { hasText: 'ColumnParallelLinear' }).last();
    const hover = page.locator('.monaco-hover:visible', { hasText: 'AutoDist' });
    await until(UI_MS, 'the AutoDist hover over the fc1 line', async () => {
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
    const weights = rows.filter((r) => r[2] === 'fc1' && r[3] === 'weight');
    assert.deepEqual(weights.map((r) => r[0]), ['0', '1', '2', '3'], `a weight row per rank; rows: ${JSON.stringify(rows)}`);
    for (const r of weights) assert.deepEqual([r[1], r[4], r[5], r[6]], [`world=${r[0]}`, '[256, 64]', '[64, 64]', 'Shard(0)']);
    await c.shot('22-py-ffn-hover', 'editor');
    await page.mouse.move(5, 5);
  }, runBlock);
}

export async function pythonBiasScenario(c: UiContext, blocked: string | null): Promise<void> {
  const { h, wb } = c;
  let runBlock = blocked;
  let verdict = { status: '', text: '' };
  const ran = await h.check(`"AutoDist: Simulate" on ${BIAS} (the bias added before the all-reduce, in PyTorch) finishes`, RUN_MS, async () => {
    verdict = await simulate(c, BIAS);
  }, blocked);
  if (!ran) runBlock ??= 'the Python bias run did not finish';
  const fc2Line = blocked ? 0 : lineIn(c.workspace, BIAS, 'model.fc2 = RowParallelLinear(');

  await h.check('the Python bias run reads "not verified: fc2 differs"', UI_MS, async () => {
    assert.equal(verdict.status, 'diverged', `the verdict banner says: ${verdict.text}`);
    assert.match(verdict.text, /^not verified: fc2 differs/);
  }, runBlock);

  await h.check(`the Problems panel shows the divergence of fc2 at ${path.basename(BIAS)} line ${fc2Line} (the line that built fc2)`, UI_MS * 2, async () => {
    const rows = await until(UI_MS, 'an AutoDist problem about fc2 in the .py', async () => {
      const all = await wb.problems();
      return all.some((r) => /output of fc2 \(RowParallelLinear\) differs/.test(r)) ? all : undefined;
    });
    const mine = rows.filter((r) => /output of fc2 \(RowParallelLinear\) differs/.test(r));
    assert.equal(mine.length, 1, `one such problem:\n${rows.join('\n')}`);
    assert.match(mine[0], new RegExp(`\\[Ln ${fc2Line}, Col \\d+\\]`), `shows [Ln ${fc2Line}, …]: ${mine[0]}`);
    assert.match(mine[0], /generated by AutoDist/, 'the problem\'s source is AutoDist');
    await c.shot('23-py-bias-problems', 'page');
  }, runBlock);
}

/**
 * A DTensor example: examples/python/llama_dp_tp.py (4 processes from its "# autodist:" line, a
 * (dp, tp) = (2, 2) mesh; dim 32, ColwiseParallel q, RowwiseParallel o, SequenceParallel norms).
 * Expected by hand: q's weight [out, in] = [32, 32] split by rows over tp → [16, 32], Shard(0);
 * o's [32, 32] split by columns → [32, 16], Shard(1); the norm's [32] whole on every rank,
 * Replicate; rank r sits at dp = r // 2, tp = r % 2 (row-major).
 */
const DTENSOR = 'examples/python/llama_dp_tp.py';

export async function pythonDtensorScenario(c: UiContext, blocked: string | null): Promise<void> {
  const { h, wb } = c;
  let runBlock = blocked;
  let verdict = { status: '', text: '' };
  const ran = await h.check(`"AutoDist: Simulate" on the DTensor example ${DTENSOR} runs it on the 4 processes of its "# autodist:" line and the verdict reads "verified"`, RUN_MS, async () => {
    verdict = await simulate(c, DTENSOR);
    assert.equal(verdict.status, 'verified', `the verdict banner says: ${verdict.text}`);
  }, blocked);
  if (!ran) runBlock ??= 'the DTensor run did not finish';

  const want = [
    ['layers.0.attention.wq', '[32, 32]', '[16, 32]', 'Shard(0)'],
    ['layers.0.attention.wo', '[32, 32]', '[32, 16]', 'Shard(1)'],
    ['layers.0.attention_norm', '[32]', '[32]', 'Replicate'],
  ] as const;
  await h.check("the panel's Shards tab gives each rank's placement as DTensor writes it: layers.0.attention.wq Shard(0) [32, 32] → [16, 32], wo Shard(1) → [32, 16], attention_norm Replicate [32], on ranks 0–3 at dp = r // 2, tp = r % 2", UI_MS * 2, async () => {
    const f = await wb.panelTab('shards');
    await f.locator('tr.shard-row').first().waitFor({ timeout: UI_MS });
    // narrow the table to layer 0's attention, so the screenshot shows the rows checked
    const field = f.locator('#shard-filter input');
    const filtered = await field.fill('layers.0.attention', { timeout: 5000 }).then(() => true, () => false);
    if (filtered) await until(UI_MS, 'the filter leaves layer 0\'s attention rows', async () => ((await f.locator('tr.shard-row[data-module="layers.1.attention.wq"]').count()) === 0 ? true : undefined));
    else await f.locator('tr.shard-row[data-module="layers.0.attention.wq"]').first().scrollIntoViewIfNeeded();
    for (const [mod, global, local, placement] of want) {
      const rows = f.locator(`tr.shard-row[data-module="${mod}"][data-param="weight"]`);
      assert.equal(await rows.count(), 4, `${mod}.weight has a row on each of the 4 ranks`);
      for (let r = 0; r < 4; r++) {
        const cs = await cells(f.locator(`tr.shard-row[data-module="${mod}"][data-param="weight"][data-rank="${r}"]`));
        // module, param, kind, rank, coords, global, local, placement, built at
        assert.deepEqual([cs[0], cs[1], cs[3], cs[4], cs[5], cs[6], cs[7]], [mod, 'weight', String(r), `dp=${r >> 1} tp=${r & 1}`, global, local, placement], `${mod}.weight on rank ${r}`);
        assert.match(cs[8], /^llama_dp_tp\.py:\d+$/, `${mod}.weight on rank ${r} links to the .py line that built it`);
      }
    }
    await c.shot('24-py-dtensor-shards', 'panel');
    // the placement column sits right of the panel's width beside the editor: scrolled into view for a second shot
    const placed = await f.locator('tr.shard-row[data-module="layers.0.attention.wq"][data-param="weight"][data-rank="0"] td').nth(7).scrollIntoViewIfNeeded({ timeout: 5000 }).then(() => true, () => false);
    if (placed) await c.shot('25-py-dtensor-placements', 'panel');
    if (filtered) await field.fill('', { timeout: 5000 }).catch(() => undefined);
  }, runBlock);
}
