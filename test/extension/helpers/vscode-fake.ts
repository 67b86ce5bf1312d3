/**
 * A small fake of the `vscode` module, enough for the extension's providers, panel, controller
 * and activation to run in plain Node. It records what the extension does (registrations,
 * messages, shown documents) so tests can check it. `install-vscode.ts` makes
 * `require('vscode')` return this module.
 */
import * as path from 'node:path';

// ---- bookkeeping of every disposable the extension creates

export interface Tracked {
  readonly what: string;
  disposed: boolean;
}
export const created: Tracked[] = [];

function track(what: string, onDispose?: () => void): { dispose(): void } & Tracked {
  const t = {
    what,
    disposed: false,
    dispose() {
      if (t.disposed) return;
      t.disposed = true;
      onDispose?.();
    },
  };
  created.push(t);
  return t;
}

export class Disposable {
  private done = false;
  constructor(private readonly fn: () => void) {}
  static from(...ds: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    if (!this.done) this.fn();
    this.done = true;
  }
}

export class EventEmitter<T> {
  private listeners = new Set<(e: T) => unknown>();
  private readonly tracked = track('EventEmitter', () => this.listeners.clear());
  readonly event = (listener: (e: T) => unknown): { dispose(): void } => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  /** Forget every listener (between tests). */
  clearListeners(): void {
    this.listeners.clear();
  }
  dispose(): void {
    this.tracked.dispose();
  }
}

// ---- positions, ranges, URIs

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b as number);
      this.end = new Position(c!, d!);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
}

export class Selection extends Range {}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
    private readonly raw?: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', path.resolve(p));
  }
  static parse(s: string): Uri {
    return s.startsWith('file://') ? Uri.file(decodeURIComponent(s.slice(7))) : new Uri(s.split(':')[0], s, s);
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri(u.scheme, path.join(u.fsPath, ...parts));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return this.raw ?? `${this.scheme}://${this.fsPath}`;
  }
  with(): Uri {
    return this;
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

// ---- documents

export class FakeDocument {
  version = 1;
  isDirty = false;
  readonly languageId: string;
  constructor(
    readonly uri: Uri,
    private lines: string[],
  ) {
    this.languageId = uri.fsPath.endsWith('.js') ? 'javascript' : uri.fsPath.endsWith('.py') ? 'python' : 'typescript';
  }
  static of(file: string, text: string): FakeDocument {
    return new FakeDocument(Uri.file(file), text.split('\n'));
  }
  get lineCount(): number {
    return this.lines.length;
  }
  lineAt(line: number): { text: string; range: Range } {
    const text = this.lines[line];
    if (text === undefined) throw new Error(`line ${line} out of range`);
    return { text, range: new Range(line, 0, line, text.length) };
  }
  getText(): string {
    return this.lines.join('\n');
  }
  async save(): Promise<boolean> {
    this.isDirty = false;
    return true;
  }
  /** Replace a range with text, as the editor would, and tell the workspace's listeners. */
  edit(range: Range, text: string): void {
    const all = this.getText();
    const off = (p: Position) => this.lines.slice(0, p.line).reduce((a, l) => a + l.length + 1, 0) + p.character;
    const next = all.slice(0, off(range.start)) + text + all.slice(off(range.end));
    this.lines = next.split('\n');
    this.version++;
    this.isDirty = true;
    docChanged.fire({ document: this, contentChanges: [{ range, text, rangeOffset: off(range.start), rangeLength: off(range.end) - off(range.start) }], reason: undefined });
  }
}

const docChanged = new EventEmitter<unknown>();

// ---- the provider types

export enum InlayHintKind {
  Type = 1,
  Parameter = 2,
}

export class InlayHint {
  paddingLeft?: boolean;
  tooltip?: MarkdownString | string;
  constructor(
    readonly position: Position,
    readonly label: string,
    readonly kind?: InlayHintKind,
  ) {}
}

export class MarkdownString {
  isTrusted?: boolean | { enabledCommands: string[] };
  constructor(public value = '') {}
  appendMarkdown(s: string): this {
    this.value += s;
    return this;
  }
}

export class Hover {
  constructor(
    readonly contents: MarkdownString,
    readonly range?: Range,
  ) {}
}

export class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string },
  ) {}
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export class Location {
  constructor(
    readonly uri: Uri,
    readonly range: Position | Range,
  ) {}
}

export class DiagnosticRelatedInformation {
  constructor(
    readonly location: Location,
    readonly message: string,
  ) {}
}

export class Diagnostic {
  source?: string;
  code?: string | number;
  relatedInformation?: DiagnosticRelatedInformation[];
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

export class FakeDiagnosticCollection {
  readonly entries = new Map<string, Diagnostic[]>();
  private readonly tracked: Tracked & { dispose(): void };
  constructor(readonly name: string) {
    this.tracked = track(`DiagnosticCollection ${name}`);
  }
  set(uri: Uri, ds: Diagnostic[]): void {
    this.entries.set(uri.fsPath, ds);
  }
  get(uri: Uri): Diagnostic[] | undefined {
    return this.entries.get(uri.fsPath);
  }
  clear(): void {
    this.entries.clear();
  }
  dispose(): void {
    this.tracked.dispose();
  }
}

// ---- enums and small types

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
  Two = 2,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

// ---- webview panels

export class FakeWebview {
  html = '';
  options: Record<string, unknown>;
  readonly posted: unknown[] = [];
  readonly cspSource = 'vscode-webview://fake';
  private readonly received = new EventEmitter<unknown>();
  constructor(options: Record<string, unknown>) {
    this.options = options;
  }
  asWebviewUri(u: Uri): Uri {
    return Uri.parse(`vscode-webview://fake${u.fsPath}`);
  }
  async postMessage(m: unknown): Promise<boolean> {
    this.posted.push(JSON.parse(JSON.stringify(m)));
    return true;
  }
  readonly onDidReceiveMessage = this.received.event;
  /** What the page would send. */
  send(m: unknown): void {
    this.received.fire(m);
  }
}

export class FakeWebviewPanel {
  title: string;
  iconPath?: Uri;
  visible = true;
  readonly webview: FakeWebview;
  private readonly disposed = new EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  readonly tracked: Tracked & { dispose(): void };
  revealed = 0;
  constructor(
    readonly viewType: string,
    title: string,
    readonly showOptions: unknown,
    options: Record<string, unknown>,
  ) {
    this.title = title;
    this.webview = new FakeWebview(options);
    this.tracked = track(`WebviewPanel ${viewType}`);
  }
  reveal(): void {
    this.revealed++;
  }
  dispose(): void {
    if (this.tracked.disposed) return;
    this.tracked.dispose();
    this.disposed.fire();
  }
}

// ---- namespaces

export const state = {
  panels: [] as FakeWebviewPanel[],
  shown: [] as { uri: Uri; options: unknown }[],
  messages: [] as { level: string; text: string }[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { id: string; args: unknown[] }[],
  providers: [] as { kind: string; selector: unknown; provider: unknown }[],
  statusItems: [] as Record<string, unknown>[],
  progress: [] as { message?: string; increment?: number }[],
  config: {} as Record<string, unknown>,
  /** Settings written by the extension: key, value, target (1 user, 2 workspace, 3 folder). */
  configUpdates: [] as { key: string; value: unknown; target: unknown }[],
  opened: [] as Uri[],
  files: new Map<string, Uint8Array>(),
  /** Output channels, in creation order. */
  channels: [] as { name: string; lines: string[]; shown: number }[],
  /** The answer the next quick pick / input box / message gives. */
  answers: [] as unknown[],
};

export function reset(): void {
  state.panels.length = 0;
  state.shown.length = 0;
  state.messages.length = 0;
  state.commands.clear();
  state.executed.length = 0;
  state.providers.length = 0;
  state.statusItems.length = 0;
  state.progress.length = 0;
  state.config = {};
  state.configUpdates.length = 0;
  state.opened.length = 0;
  state.files.clear();
  state.channels.length = 0;
  state.answers.length = 0;
  workspace.textDocuments.length = 0;
  workspace.isTrusted = true;
  window.activeTextEditor = undefined;
  created.length = 0;
  docChanged.clearListeners();
  activeEditorChanged.clearListeners();
}

const message = (level: string) => async (text: string) => {
  state.messages.push({ level, text });
  return state.answers.shift();
};

const activeEditorChanged = new EventEmitter<unknown>();

export const window = {
  activeTextEditor: undefined as { document: FakeDocument } | undefined,
  onDidChangeActiveTextEditor: (l: (e: unknown) => unknown) => {
    const sub = activeEditorChanged.event(l);
    return track('onDidChangeActiveTextEditor', () => sub.dispose());
  },
  /** What the editor does when another editor becomes active. */
  setActiveEditor(doc: FakeDocument | undefined) {
    window.activeTextEditor = doc ? { document: doc } : undefined;
    activeEditorChanged.fire(window.activeTextEditor);
  },
  createWebviewPanel(viewType: string, title: string, showOptions: unknown, options: Record<string, unknown>) {
    const p = new FakeWebviewPanel(viewType, title, showOptions, options);
    state.panels.push(p);
    return p;
  },
  async showTextDocument(uri: Uri, options?: unknown) {
    state.shown.push({ uri, options });
    return {};
  },
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  async showQuickPick(items: unknown[]) {
    const a = state.answers.shift();
    if (typeof a === 'function') return (a as (items: unknown[]) => unknown)(items);
    return typeof a === 'number' ? items[a] : a;
  },
  async showInputBox() {
    return state.answers.shift();
  },
  async showSaveDialog() {
    return state.answers.shift();
  },
  async withProgress<R>(_o: unknown, task: (p: { report(v: { message?: string; increment?: number }): void }, token: { isCancellationRequested: boolean; onCancellationRequested(l: () => void): { dispose(): void } }) => Promise<R>): Promise<R> {
    const cancel = new EventEmitter<void>();
    return task({ report: (v) => state.progress.push(v) }, { isCancellationRequested: false, onCancellationRequested: (l) => cancel.event(l) });
  },
  createStatusBarItem(id?: string) {
    const t = track(`StatusBarItem ${id ?? ''}`);
    const item: Record<string, unknown> = { id, text: '', visible: false, show() { item.visible = true; }, hide() { item.visible = false; }, dispose: () => t.dispose() };
    state.statusItems.push(item);
    return item;
  },
  createOutputChannel(name: string) {
    const t = track(`OutputChannel ${name}`);
    const lines: string[] = [];
    const channel = { name, lines, shown: 0, info: (l: string) => lines.push(l), warn: (l: string) => lines.push(`warn ${l}`), appendLine: (l: string) => lines.push(l), append: (l: string) => lines.push(l), clear: () => (lines.length = 0), show: () => channel.shown++, dispose: () => t.dispose() };
    state.channels.push(channel);
    return channel;
  },
  registerWebviewPanelSerializer(viewType: string, serializer: unknown) {
    state.providers.push({ kind: 'serializer', selector: viewType, provider: serializer });
    return track(`serializer ${viewType}`);
  },
  async showWorkspaceFolderPick() {
    return state.answers.shift();
  },
  async showOpenDialog() {
    return state.answers.shift();
  },
};

export const workspace = {
  isTrusted: true,
  textDocuments: [] as FakeDocument[],
  workspaceFolders: undefined as { uri: Uri }[] | undefined,
  onDidChangeTextDocument: (l: (e: unknown) => unknown) => {
    const sub = docChanged.event(l);
    return track('onDidChangeTextDocument', () => sub.dispose());
  },
  getConfiguration: (section: string) => ({
    get: (k: string) => state.config[`${section}.${k}`],
    inspect: (k: string) => ({ key: `${section}.${k}`, workspaceValue: state.config[`${section}.${k}`] }),
    async update(k: string, value: unknown, target: unknown) {
      state.configUpdates.push({ key: `${section}.${k}`, value, target });
      state.config[`${section}.${k}`] = value;
    },
  }),
  asRelativePath: (u: Uri | string) => path.basename(typeof u === 'string' ? u : u.fsPath),
  async findFiles() {
    return [...state.files.keys()].map((f) => Uri.file(f));
  },
  fs: {
    async readFile(u: Uri) {
      const b = state.files.get(u.fsPath);
      if (!b) throw new Error(`no file ${u.fsPath}`);
      return b;
    },
    async writeFile(u: Uri, b: Uint8Array) {
      state.files.set(u.fsPath, b);
    },
    async stat(u: Uri) {
      if (!state.files.has(u.fsPath)) throw new Error(`no file ${u.fsPath}`);
      return { type: 1 };
    },
    async createDirectory() {},
  },
};

export const languages = {
  createDiagnosticCollection: (name: string) => new FakeDiagnosticCollection(name),
  registerInlayHintsProvider: (selector: unknown, provider: unknown) => (state.providers.push({ kind: 'inlay', selector, provider }), track('inlay provider')),
  registerHoverProvider: (selector: unknown, provider: unknown) => (state.providers.push({ kind: 'hover', selector, provider }), track('hover provider')),
  registerCodeLensProvider: (selector: unknown, provider: unknown) => (state.providers.push({ kind: 'codelens', selector, provider }), track('codelens provider')),
};

export const commands = {
  registerCommand(id: string, fn: (...args: unknown[]) => unknown) {
    if (state.commands.has(id)) throw new Error(`command ${id} registered twice`);
    state.commands.set(id, fn);
    return track(`command ${id}`, () => state.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]) {
    state.executed.push({ id, args });
    return state.commands.get(id)?.(...args);
  },
};

export const env = {
  async openExternal(u: Uri) {
    state.opened.push(u);
    return true;
  },
};

/** An ExtensionContext's workspaceState / globalState. */
export class FakeMemento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
  keys(): string[] {
    return [...this.values.keys()];
  }
}
