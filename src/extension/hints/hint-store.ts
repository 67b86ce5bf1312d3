/**
 * The last run's facts per line of the person's files, kept in place while they edit: lines
 * move with insertions above them, and a line whose text changed loses its hints. The inlay
 * hint, hover and CodeLens providers read from here and refresh when it fires.
 */
import * as vscode from 'vscode';
import type { Verdict } from '../../protocol.js';
import type { Report } from '../../report/types.js';
import { fileKey } from '../paths.js';
import { factsOf, type LineFacts } from './line-facts.js';
import { LineTracker } from './line-tracker.js';

export interface LastRun {
  readonly report: Report;
  readonly verdict: Verdict;
}

export class HintStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when hints were set, cleared or moved. */
  readonly onDidChange = this.changed.event;
  private last: LastRun | undefined;
  private files = new Map<string, LineTracker<LineFacts>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  /** `readText` gives a file's text as the run saw it (from disk). */
  constructor(private readonly readText: (file: string) => string | undefined) {
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
    );
  }

  get run(): LastRun | undefined {
    return this.last;
  }

  set(report: Report, verdict: Verdict): void {
    this.last = { report, verdict };
    this.files = new Map();
    for (const [file, lines] of factsOf(report)) {
      const text = this.readText(file)?.split(/\r?\n/) ?? [];
      const tracker = new LineTracker([...lines.values()].map((f) => ({ line: f.line - 1, text: text[f.line - 1] ?? '', value: f })));
      // an open editor may already differ from what the run read
      const doc = vscode.workspace.textDocuments.find((d) => fileKey(d.uri.fsPath) === fileKey(file));
      if (doc) tracker.settle((l) => (l < doc.lineCount ? doc.lineAt(l).text : undefined));
      this.files.set(fileKey(file), tracker);
    }
    this.changed.fire();
  }

  clear(): void {
    this.last = undefined;
    this.files = new Map();
    this.changed.fire();
  }

  /** The valid facts of a document, at their current 0-based lines. */
  linesOf(uri: vscode.Uri): { readonly line: number; readonly facts: LineFacts }[] {
    const t = this.files.get(fileKey(uri.fsPath));
    return t ? t.lines().map((l) => ({ line: l.line, facts: l.value })) : [];
  }

  at(uri: vscode.Uri, line: number): LineFacts | undefined {
    return this.linesOf(uri).find((l) => l.line === line)?.facts;
  }

  /** Where a line the report names (1-based) is now (0-based), if the run's facts still hold there. */
  currentLine(file: string, line: number): number | undefined {
    return this.files.get(fileKey(file))?.currentLine(line - 1);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    if (!e.contentChanges.length) return;
    const t = this.files.get(fileKey(e.document.uri.fsPath));
    if (!t) return;
    const before = t.size;
    const lines = JSON.stringify(t.lines().map((l) => l.line));
    for (const c of e.contentChanges) t.applyChange({ startLine: c.range.start.line, endLine: c.range.end.line, text: c.text });
    const doc = e.document;
    t.settle((l) => (l < doc.lineCount ? doc.lineAt(l).text : undefined));
    if (t.size !== before || JSON.stringify(t.lines().map((l) => l.line)) !== lines) this.changed.fire();
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
