/**
 * The code AutoDist's messages suggest, found in the sources: every string literal and template
 * literal of src/ (TypeScript) is scanned for API calls — a chain that starts at a name a script
 * has in hand (`rank`, `comm`, `weights`, …) or at a value the "autodist" module exports
 * (`new RowParallelLinear(…)`, `reduceFromRegion`), and goes on through `.name`, `[…]` and `(…)`.
 * Python-facing texts (the second argument of `Unsupported(…)` in src/python, and torch names in
 * the TypeScript texts) are scanned for `torch.…` names. test/fix-texts.test.ts compiles the one
 * and resolves the other.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type * as TS from 'typescript';

export interface Suggestion {
  /** The code as it stands in the message, `${…}` substitutions as `__S__`. */
  readonly code: string;
  /** src/…:line of the string it came from. */
  readonly at: string;
}

/** Names a script has in hand where a fix applies them (program(rank), parallelize(model, { tp, weights, comm })). */
export const CONTEXT_NAMES = ['rank', 'comm', 'weights', 'mesh', 'tp', 'dp', 'pp', 'ctx'] as const;

export function sourceFiles(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) {
      if (n !== '__pycache__') out.push(...sourceFiles(p, ext));
    } else if (ext.test(n)) out.push(p);
  }
  return out;
}

/** Every user-visible string of a TypeScript file (not module names), with its line. */
export function stringsOf(ts: typeof TS, file: string, text = readFileSync(file, 'utf8')): { text: string; line: number }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { text: string; line: number }[] = [];
  const line = (n: TS.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (n: TS.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n) || ts.isImportTypeNode(n)) return;
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'require') return;
    // an error class's name (`this.name = \`SimError(${kind})\``) is not a message
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && n.left.name.text === 'name') return;
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) out.push({ text: n.text, line: line(n) });
    else if (ts.isTemplateExpression(n)) {
      out.push({ text: n.head.text + n.templateSpans.map((s) => '__S__' + s.literal.text).join(''), line: line(n) });
      // a nested template inside a substitution is a string of its own
      for (const s of n.templateSpans) visit(s.expression);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const IDENT = /[A-Za-z_$][\w$]*/y;

/** The end of a bracketed group that opens at `i` (quotes respected), or -1. */
function closing(s: string, i: number): number {
  const open = s[i];
  const close = open === '(' ? ')' : open === '[' ? ']' : '}';
  let depth = 0;
  let quote = '';
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === open) depth++;
    else if (c === close && --depth === 0) return j;
  }
  return -1;
}

/**
 * The API code in one message: chains from a context name (needs `.x` or `[…]` after it) or from
 * an exported value (needs `(`, `.x`, or `new` before it), or any `new Name(…)`.
 */
export function codeIn(text: string, exported: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const re = /(?<![\w$.])(await\s+)?(new\s+)?([A-Za-z_$][\w$]*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const root = m[3];
    const isContext = (CONTEXT_NAMES as readonly string[]).includes(root);
    // `new Anything(` is code whatever its name (a misspelt class must fail to compile)
    const known = exported.has(root);
    if (!isContext && !known && !(m[2] && /^[A-Z]/.test(root))) continue;
    let i = m.index + m[0].length;
    let steps = 0;
    let calls = 0;
    for (;;) {
      if (text[i] === '.' && (IDENT.lastIndex = i + 1, IDENT.test(text))) {
        i = IDENT.lastIndex;
        steps++;
      } else if (text[i] === '(' || text[i] === '[') {
        const j = closing(text, i);
        if (j < 0) break;
        if (text[i] === '(') calls++;
        i = j + 1;
        steps++;
      } else break;
    }
    const code = text.slice(m.index, i);
    const isCall = calls > 0;
    // prose words that happen to be a name ("split", "rank") are not code: a context name needs a
    // member after it, an exported value a call or `new`
    if (isContext ? steps === 0 : known ? !isCall && !m[2] : !isCall) {
      re.lastIndex = m.index + m[0].length;
      continue;
    }
    out.push(code);
    re.lastIndex = i;
  }
  return out;
}

/** Every suggested API call in src/ (TypeScript files), deduplicated by code. */
export function suggestedCode(ts: typeof TS, root: string, exported: ReadonlySet<string>): Suggestion[] {
  const seen = new Map<string, Suggestion>();
  for (const f of sourceFiles(join(root, 'src'), /\.ts$/)) {
    for (const s of stringsOf(ts, f)) {
      for (const code of codeIn(s.text, exported)) if (!seen.has(code)) seen.set(code, { code, at: `${relative(root, f)}:${s.line}` });
    }
  }
  return [...seen.values()];
}

/** `torch.…` names in a text (a trailing call's parentheses dropped). */
export function torchNamesIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w.])torch(?:\.[A-Za-z_]\w*)+/g)].map((m) => m[0]);
}

/**
 * Python-facing suggestions: torch names in TypeScript strings, and in src/python the "what to
 * use instead" of every `Unsupported(what, instead)` / `_unsupported(what, instead)` and every
 * string after "use " in a raise.
 */
export function suggestedTorchNames(ts: typeof TS, root: string): Suggestion[] {
  const seen = new Map<string, Suggestion>();
  const add = (name: string, at: string) => {
    if (!seen.has(name)) seen.set(name, { code: name, at });
  };
  for (const f of sourceFiles(join(root, 'src'), /\.ts$/)) {
    for (const s of stringsOf(ts, f)) for (const n of torchNamesIn(s.text)) add(n, `${relative(root, f)}:${s.line}`);
  }
  for (const f of sourceFiles(join(root, 'src', 'python'), /\.py$/)) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((l, i) => {
      if (!/\braise\b|Unsupported\(|_unsupported\(/.test(l)) return;
      // the advice part of the message: after "use " (or the second argument of Unsupported)
      const advice = [...l.matchAll(/(?:Unsupported|_unsupported)\([^,]*,\s*f?(["'])(.*?)\1/g)].map((m) => m[2]);
      for (const m of l.matchAll(/\buse ([^"']*)/g)) advice.push(m[1]);
      for (const a of advice) for (const n of torchNamesIn(a)) add(n, `${relative(root, f)}:${i + 1}`);
    });
  }
  return [...seen.values()];
}
