/**
 * The inline surfaces of a run, all reading the HintStore: inlay hints at the end of lines that
 * built a sharded module or issued a collective, a hover with the per-rank table and the ledger
 * entries of that line, and a CodeLens over the parallelize code with the run's summary. A
 * Python file gets its CodeLens at its `init_process_group` (or `init_device_mesh`) line, and
 * before any run there: Simulate, Simulate in Meta Mode.
 */
import * as vscode from 'vscode';
import { COMMAND_TITLES, COMMANDS } from '../ids.js';
import { fileKey } from '../paths.js';
import { isPythonFile, isScriptDocument } from '../scripts.js';
import type { HintStore } from './hint-store.js';
import { hintText, hoverMarkdown, lensLine, lensText } from './line-facts.js';

export class AutoDistInlayHints implements vscode.InlayHintsProvider {
  constructor(private readonly store: HintStore) {}

  get onDidChangeInlayHints(): vscode.Event<void> {
    return this.store.onDidChange;
  }

  provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    const run = this.store.run;
    if (!run) return [];
    const out: vscode.InlayHint[] = [];
    for (const { line, facts } of this.store.linesOf(doc.uri)) {
      if (line < range.start.line || line > range.end.line || line >= doc.lineCount) continue;
      const text = hintText(facts, run.report.mesh);
      if (!text) continue;
      const end = doc.lineAt(line).range.end;
      const hint = new vscode.InlayHint(end, text, vscode.InlayHintKind.Type);
      hint.paddingLeft = true;
      hint.tooltip = new vscode.MarkdownString(hoverMarkdown(facts, run.report.mesh));
      out.push(hint);
    }
    return out;
  }
}

export class AutoDistHover implements vscode.HoverProvider {
  constructor(private readonly store: HintStore) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const run = this.store.run;
    const facts = run && this.store.at(doc.uri, pos.line);
    if (!run || !facts) return undefined;
    const md = new vscode.MarkdownString(hoverMarkdown(facts, run.report.mesh));
    md.appendMarkdown(`\n\n[Show the AutoDist panel](command:${COMMANDS.showPanel})`);
    md.isTrusted = { enabledCommands: [COMMANDS.showPanel] };
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }
}

export class AutoDistCodeLens implements vscode.CodeLensProvider {
  constructor(private readonly store: HintStore) {}

  get onDidChangeCodeLenses(): vscode.Event<void> {
    return this.store.onDidChange;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const run = this.store.run;
    const python = isPythonFile(doc.uri.fsPath);
    const ranHere = !!run?.report.script && fileKey(run.report.script) === fileKey(doc.uri.fsPath);
    if (!ranHere && !python) return [];
    const line = lensLine(doc.getText(), python);
    if (line === undefined) return [];
    const range = doc.lineAt(line).range;
    if (!run || !ranHere) {
      // a PyTorch file not simulated yet: where torchrun's processes would start
      if (!isScriptDocument(doc)) return [];
      return [
        new vscode.CodeLens(range, { title: `▷ AutoDist: ${COMMAND_TITLES[COMMANDS.simulate]}`, command: COMMANDS.simulate, arguments: [doc.uri], tooltip: 'Run this file on simulated ranks and check it against one rank' }),
        new vscode.CodeLens(range, { title: COMMAND_TITLES[COMMANDS.simulateMeta], command: COMMANDS.simulateMeta, arguments: [doc.uri], tooltip: 'Shapes, bytes and time only' }),
      ];
    }
    // Re-run first: a narrow editor cuts the line's end, and the summary is the long part
    return [
      new vscode.CodeLens(range, { title: 'Re-run', command: COMMANDS.simulate, arguments: [doc.uri], tooltip: 'Simulate this script again' }),
      new vscode.CodeLens(range, { title: lensText(run.report, run.verdict), command: COMMANDS.showPanel, tooltip: 'Show the AutoDist panel' }),
    ];
  }
}
