/** The status-bar item: the run's progress, then the last verdict; clicking it shows the panel. */
import * as vscode from 'vscode';
import type { Verdict } from '../protocol.js';
import { COMMANDS } from './ids.js';

const ICONS: Readonly<Record<Verdict['status'], string>> = {
  verified: '$(pass)',
  'shapes-only': '$(symbol-ruler)',
  diverged: '$(warning)',
  failed: '$(error)',
};

export class StatusItem implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('autodist.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'AutoDist';
    this.item.command = COMMANDS.showPanel;
  }

  running(script: string, percent: number): void {
    this.item.text = `$(sync~spin) AutoDist ${Math.round(percent)}%`;
    this.item.tooltip = `Simulating ${script} — click to show the panel`;
    this.item.backgroundColor = undefined;
    this.item.show();
  }

  verdict(script: string, v: Verdict): void {
    const short = v.status === 'verified' ? 'verified' : v.status === 'shapes-only' ? 'shapes only' : v.status === 'diverged' ? 'not verified' : 'failed';
    this.item.text = `${ICONS[v.status]} AutoDist: ${short}`;
    this.item.tooltip = `${script}: ${v.text} — click to show the panel`;
    this.item.backgroundColor = v.status === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : v.status === 'diverged' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  stopped(script: string, message: string): void {
    this.item.text = '$(debug-stop) AutoDist: stopped';
    this.item.tooltip = `${script}: ${message}`;
    this.item.backgroundColor = undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
