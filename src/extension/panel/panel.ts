/**
 * The AutoDist panel on the host side: one webview panel, created on demand (or restored by VS
 * Code after a reload), whose page comes from media/ only. It forwards HostMessages to the page
 * and checked WebviewMessages to its handlers. The page keeps its own state (getState/setState),
 * so the panel does not retain its context when hidden; when a fresh page says `ready`, the host
 * replays what it shows now if the page does not have it.
 */
import * as vscode from 'vscode';
import { assertNever, isWebviewMessage, type HostMessage, type PanelCommand, type WebviewMessage } from '../../protocol.js';
import { PANEL_VIEW_TYPE } from '../ids.js';
import { makeNonce, panelHtml } from './html.js';

export interface PanelHandlers {
  openSource(file: string, line: number, column: number | undefined): void | Promise<void>;
  command(command: PanelCommand): void | Promise<void>;
  /** What a fresh page that shows run `runId` (null: nothing) should be sent to be up to date. */
  replay(runId: number | null): readonly HostMessage[];
}

export class ReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelSubs: vscode.Disposable[] = [];
  private title = 'AutoDist';

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly handlers: PanelHandlers,
  ) {}

  static options(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
      retainContextWhenHidden: false,
      enableFindWidget: true,
    };
  }

  get visible(): boolean {
    return !!this.panel?.visible;
  }

  get isOpen(): boolean {
    return !!this.panel;
  }

  /** Show (creating it if needed) beside the editor. */
  show(preserveFocus = true): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, this.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, ReportPanel.options(this.extensionUri));
    this.attach(panel);
  }

  /** Adopt a panel VS Code restored after a reload (the serializer hands it over). */
  restore(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    panel.webview.options = ReportPanel.options(this.extensionUri);
    this.attach(panel);
  }

  setTitle(title: string): void {
    this.title = title;
    if (this.panel) this.panel.title = title;
  }

  /** Send a message if the panel is open (a hidden panel's page is gone; `ready` replays). */
  post(msg: HostMessage): void {
    void this.panel?.webview.postMessage(msg);
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.title = this.title;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    const w = panel.webview;
    w.html = panelHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'webview.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'webview.css')).toString(),
    });
    this.panelSubs.push(
      w.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      panel.onDidDispose(() => {
        for (const d of this.panelSubs) d.dispose();
        this.panelSubs = [];
        this.panel = undefined;
      }),
    );
  }

  /** Handles one message from the page; anything that is not a WebviewMessage is ignored. */
  async receive(m: unknown): Promise<void> {
    if (!isWebviewMessage(m)) return;
    const msg: WebviewMessage = m;
    switch (msg.type) {
      case 'ready':
        for (const r of this.handlers.replay(msg.runId)) this.post(r);
        return;
      case 'openSource':
        await this.handlers.openSource(msg.file, msg.line, msg.column);
        return;
      case 'command':
        await this.handlers.command(msg.command);
        return;
      default:
        assertNever(msg);
    }
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.panelSubs) d.dispose();
    this.panelSubs = [];
  }
}
