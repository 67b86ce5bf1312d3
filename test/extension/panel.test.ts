import './helpers/install-vscode.js';
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { contentSecurityPolicy, panelHtml } from '../../src/extension/panel/html.js';
import { ReportPanel } from '../../src/extension/panel/panel.js';
import { PANEL_VIEW_TYPE } from '../../src/extension/ids.js';
import * as vscode from './helpers/vscode-fake.js';

const EXT = '/opt/ext';
const handlers = { openSource: () => {}, command: () => {}, replay: () => [] };

describe('the panel (host side)', () => {
  beforeEach(() => vscode.reset());

  test('one webview panel, scripts on, media/ its only resource root, context not retained', () => {
    const p = new ReportPanel(vscode.Uri.file(EXT) as never, handlers);
    p.show();
    p.show();
    assert.equal(vscode.state.panels.length, 1, 'shown twice, created once');
    const panel = vscode.state.panels[0];
    assert.equal(panel.viewType, PANEL_VIEW_TYPE);
    assert.equal(panel.revealed, 1);
    const o = panel.webview.options as { enableScripts: boolean; localResourceRoots: vscode.Uri[]; retainContextWhenHidden: boolean };
    assert.equal(o.enableScripts, true);
    assert.deepEqual(o.localResourceRoots.map((u) => u.fsPath), [`${EXT}/media`]);
    assert.equal(o.retainContextWhenHidden, false);
  });

  test('a strict CSP: only our nonce\'d script, styles and fonts from media/', () => {
    const p = new ReportPanel(vscode.Uri.file(EXT) as never, handlers);
    p.show();
    const html = vscode.state.panels[0].webview.html;
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    assert.ok(csp);
    const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 16, 'a random nonce');
    assert.equal(csp, contentSecurityPolicy('vscode-webview://fake', nonce));
    assert.match(csp, /^default-src 'none'; /);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.deepEqual(scripts, [` nonce="${nonce}" src="vscode-webview://fake${EXT}/media/webview.js"`]);
    assert.match(html, new RegExp(`<link rel="stylesheet" href="vscode-webview://fake${EXT}/media/webview.css">`));
    assert.doesNotMatch(html, /style="/, 'no inline style attributes');
    // a new page, a new nonce
    const again = panelHtml({ cspSource: 'x', nonce: 'abc', scriptUri: 's', styleUri: 't' });
    assert.match(again, /nonce="abc"/);
  });

  test('messages go to the open panel only; a disposed panel is recreated on show', () => {
    const p = new ReportPanel(vscode.Uri.file(EXT) as never, handlers);
    p.post({ type: 'showTab', tab: 'timeline' }); // nothing open: dropped
    p.show();
    p.post({ type: 'showTab', tab: 'timeline' });
    assert.deepEqual(vscode.state.panels[0].webview.posted, [{ type: 'showTab', tab: 'timeline' }]);
    vscode.state.panels[0].dispose();
    assert.equal(p.isOpen, false);
    p.show();
    assert.equal(vscode.state.panels.length, 2);
  });

  test('a panel restored by VS Code gets the same options and page', () => {
    const p = new ReportPanel(vscode.Uri.file(EXT) as never, handlers);
    const restored = new vscode.FakeWebviewPanel(PANEL_VIEW_TYPE, 'AutoDist', {}, {});
    p.restore(restored as never);
    assert.equal((restored.webview.options as { retainContextWhenHidden: boolean }).retainContextWhenHidden, false);
    assert.match(restored.webview.html, /media\/webview\.js/);
    assert.equal(p.isOpen, true);
  });
});
