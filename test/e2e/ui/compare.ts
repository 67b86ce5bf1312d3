/**
 * The Compare tab after the FFN and the bias-bug runs: the history holds both, the two latest
 * side by side — the FFN verified, the bias bug not — with the best of each row marked.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { cells, norm, pickScript, UI_MS, type UiContext } from './common.js';

export async function compareScenario(c: UiContext, blocked: string | null): Promise<void> {
  const { h, wb, workspace } = c;
  const bias = path.basename(pickScript(workspace, 'examples/ffn_bias_bug.ts', 'e2e/bias_before_allreduce.ts'));
  await h.check(`the panel's Compare tab shows the last two runs side by side: an FFN run, verified, and ${bias}, NOT VERIFIED; the best total wire is starred`, UI_MS, async () => {
    const f = await wb.panelTab('compare');
    await f.locator('#compare-table').waitFor({ timeout: UI_MS });
    const head = (await f.locator('#compare-table thead th').allTextContents()).map(norm);
    assert.equal(head.length, 3, `a label column and two runs: ${head.join(' | ')}`);
    assert.match(head[1], /ffn/, `the earlier run is an FFN run: ${head[1]}`);
    assert.ok(head[2].endsWith(bias), `the latest run is ${bias}: ${head[2]}`);
    const verdict = await cells(f.locator('#compare-table tr[data-row="verdict"]'));
    assert.match(verdict[0], /verified|ran, not verified/);
    assert.equal(verdict[1], 'NOT VERIFIED');
    const runs = (await f.locator('.run-list li').allTextContents()).map(norm);
    assert.ok(runs.length >= 2, `the history lists the runs: ${runs.join(' | ')}`);
    const wire = await cells(f.locator('#compare-table tr[data-row="total wire"]'));
    assert.ok(wire.length === 2 && wire.every((w) => /\d/.test(w)), `total wire of both: ${wire.join(' | ')}`);
    await c.shot('10-compare', 'panel');
  }, blocked);
}
