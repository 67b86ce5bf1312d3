/** A run's problems in the Problems panel, at the person's lines, replaced by every run. */
import * as vscode from 'vscode';
import type { Report } from '../report/types.js';
import { DIAGNOSTIC_SOURCE } from './ids.js';
import { lensLine } from './hints/line-facts.js';
import { problemsOf, type Problem } from './problems.js';
import { isPythonFile } from './scripts.js';

export class ProblemsReporter implements vscode.Disposable {
  readonly collection: vscode.DiagnosticCollection;

  /** `readText` gives a file's text (to place a problem without a line at the `simulation(` call). */
  constructor(private readonly readText: (file: string) => string | undefined) {
    this.collection = vscode.languages.createDiagnosticCollection('autodist');
  }

  set(report: Report): void {
    this.collection.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of problemsOf(report)) {
      if (!p.file) continue;
      const list = byFile.get(p.file) ?? [];
      list.push(this.diagnostic(p));
      byFile.set(p.file, list);
    }
    for (const [file, ds] of byFile) this.collection.set(vscode.Uri.file(file), ds);
  }

  clear(): void {
    this.collection.clear();
  }

  private diagnostic(p: Problem): vscode.Diagnostic {
    let line = p.line - 1;
    if (line < 0) {
      const text = this.readText(p.file);
      line = (text !== undefined ? lensLine(text, isPythonFile(p.file)) : undefined) ?? 0;
    }
    const col = Math.max(0, p.column - 1);
    // from the column the run reported to the end of the line (the editor clamps it)
    const range = new vscode.Range(line, col, line, Number.MAX_SAFE_INTEGER);
    const d = new vscode.Diagnostic(range, p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
    d.source = DIAGNOSTIC_SOURCE;
    d.code = p.code;
    d.relatedInformation = p.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(r.file), new vscode.Position(Math.max(0, r.line - 1), Math.max(0, r.column - 1))), r.message));
    return d;
  }

  dispose(): void {
    this.collection.dispose();
  }
}
