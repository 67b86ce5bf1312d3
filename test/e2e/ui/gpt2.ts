/**
 * GPT-2 on PP=2 × TP=2 with 1F1B over 4 microbatches (examples/gpt2_pp2_tp2.ts, or the suite's
 * own): the mesh grid colored by stage, the Stages tab, and the timeline's bubbles.
 */
import assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { norm, pickScript, simulate, UI_MS, RUN_MS, type UiContext } from './common.js';

/**
 * Move the mouse along rank `rank`'s row of the timeline (a canvas: its bars are not DOM; its
 * data-* attributes give the rows' and the plot's geometry) and read the tooltip the panel shows
 * for the bar under it; the names of the bars met, in order, until `enough` says so.
 */
async function barsOnRow(page: Page, f: Frame, rank: number, enough: (seen: string[]) => boolean): Promise<string[]> {
  const canvas = f.locator('canvas.gantt');
  const box = await canvas.boundingBox(); // relative to the page's viewport
  if (!box) throw new Error('the timeline has no canvas');
  const num = async (name: string) => Number(await canvas.getAttribute(`data-${name}`));
  const [rows, axisH, rowH, left, width] = [await num('rows'), await num('axis-height'), await num('row-height'), await num('plot-left'), await num('plot-width')];
  if (!(rank < rows && rowH > 0 && width > 0)) throw new Error(`the timeline's canvas has no row ${rank} (data-rows ${rows}, data-row-height ${rowH}, data-plot-width ${width})`);
  const y = box.y + axisH + (rank + 0.5) * rowH;
  const tip = f.locator('.tooltip:not([hidden]) strong');
  const seen: string[] = [];
  const end = Math.min(left + width, (page.viewportSize()?.width ?? 1600) - box.x - 2); // what is on screen
  for (let x = left + 1; x < end && !enough(seen); x += 5) {
    await page.mouse.move(box.x + x, y);
    const t = norm((await tip.allTextContents())[0]);
    if (t && seen[seen.length - 1] !== t) seen.push(t);
  }
  await page.mouse.move(1, 1);
  return seen;
}

export async function gpt2Scenario(c: UiContext, blocked: string | null): Promise<void> {
  const { h, wb } = c;
  const rel = pickScript(c.workspace, 'examples/gpt2_pp2_tp2.ts', 'e2e/gpt2_pp2_tp2.ts');
  let verdict = { status: '', text: '' };
  let runBlock = blocked;
  const ran = await h.check(`"AutoDist: Simulate" on ${rel} (GPT-2, 4 layers, PP=2 × TP=2, 1F1B over 4 microbatches) finishes verified`, RUN_MS, async () => {
    verdict = await simulate(c, rel);
    assert.equal(verdict.status, 'verified', `the verdict banner says: ${verdict.text}`);
  }, blocked);
  if (!ran && !verdict.status) runBlock ??= 'the GPT-2 run did not finish';

  await h.check('the panel\'s overview shows the 2 × 2 mesh: stage 0 = ranks 0, 1 and stage 1 = ranks 2, 3, colored by stage', UI_MS, async () => {
    const f = await wb.panelTab('overview');
    assert.equal(norm(await f.locator('.mesh h3').textContent()), 'Mesh: dp 1 × pp 2 × tp 2');
    const rows = f.locator('.mesh-grid .mesh-row');
    assert.equal(await rows.count(), 2, 'two rows: one per pipeline stage');
    for (const [stage, ranks] of [[0, ['0', '1']], [1, ['2', '3']]] as const) {
      assert.equal(norm(await rows.nth(stage).locator('.stage-label').textContent()), `stage ${stage}`);
      assert.deepEqual(await rows.nth(stage).locator('.rank-cell').evaluateAll((els) => els.map((e) => e.getAttribute('data-rank'))), ranks);
      const colors = await rows.nth(stage).locator('.rank-cell').evaluateAll((els) => els.map((e) => (e as unknown as { style: { borderColor: string } }).style.borderColor));
      assert.equal(new Set(colors).size, 1, `stage ${stage}'s ranks share a color`);
    }
    const c0 = await rows.nth(0).locator('.rank-cell').first().evaluate((e) => (e as unknown as { style: { borderColor: string } }).style.borderColor);
    const c1 = await rows.nth(1).locator('.rank-cell').first().evaluate((e) => (e as unknown as { style: { borderColor: string } }).style.borderColor);
    assert.notEqual(c0, c1, 'the two stages have different colors');
    await c.shot('13-gpt2-overview', 'panel');
  }, runBlock);

  await h.check('the panel\'s Stages tab shows 2 pipeline stages: h.0–h.1 on stage 0 (ranks 0–1), h.2–h.3 on stage 1 (ranks 2–3)', UI_MS, async () => {
    const f = await wb.panelTab('stages');
    await f.locator('.stage-bar').first().waitFor({ timeout: UI_MS });
    assert.equal(norm(await f.locator('#view-stages h3').first().textContent()), '2 pipeline stages');
    const bars = f.locator('.stage-bar');
    assert.equal(await bars.count(), 2);
    const b0 = norm(await f.locator('.stage-bar[data-stage="0"]').textContent());
    const b1 = norm(await f.locator('.stage-bar[data-stage="1"]').textContent());
    assert.match(b0, /^stage 0\s*ranks 0–1\s*.*h\.0–h\.1/, b0);
    assert.doesNotMatch(b0, /h\.2|h\.3/, b0);
    assert.match(b1, /^stage 1\s*ranks 2–3\s*.*h\.2–h\.3/, b1);
    assert.doesNotMatch(b1, /h\.0|h\.1\b/, b1);
    await c.shot('14-gpt2-stages', 'panel');
  }, runBlock);

  await h.check('the panel\'s Timeline shows the 4 ranks of both stages with pipeline bubbles: idle > 0, the formula (p−1)/m = 1/4, and "wait" bars on stage-1 and stage-0 rows', UI_MS * 6, async () => {
    const f = await wb.panelTab('timeline');
    await f.locator('canvas.gantt[data-rows="4"]').waitFor({ timeout: UI_MS });
    assert.ok(Number(await f.locator('canvas.gantt').getAttribute('data-waits')) > 0, 'the timeline draws wait (bubble) bars');
    const info = norm(await f.locator('.timeline-info').textContent());
    const m = /idle ([\d.]+)% of the step/.exec(info);
    assert.ok(m && Number(m[1]) > 0, `the timeline reports idle time (bubbles): ${info}`);
    assert.match(info, /formula \(p−1\)\/m = 1\/4 = 0\.250/, info);
    await c.shot('15-gpt2-timeline', 'panel');
    const isWait = (t: string) => /^wait/.test(t);
    // r2 (pp=1, tp=0) waits for stage 0's first microbatch before its first forward
    const stage1 = await barsOnRow(wb.page, f, 2, (seen) => seen.some((t) => !isWait(t)));
    // r0 (pp=0, tp=0) waits for stage 1's backward once its warm-up forwards are done
    const stage0 = await barsOnRow(wb.page, f, 0, (seen) => seen.some(isWait));
    assert.ok(stage1.length > 0 && isWait(stage1[0]), `rank 2's row (stage 1) starts with a wait (bubble); bars met: ${stage1.join(', ')}`);
    assert.ok(stage1.some((t) => !isWait(t)), `rank 2's row has compute after its bubble; bars met: ${stage1.join(', ')}`);
    assert.ok(stage0.some(isWait) && !isWait(stage0[0]), `rank 0's row (stage 0) computes, then waits (bubble); bars met: ${stage0.join(', ')}`);
  }, runBlock);
}

