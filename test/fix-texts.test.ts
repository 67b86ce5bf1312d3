/**
 * Every fix AutoDist suggests exists in the API it ships.
 *
 * TypeScript: each API call found in a string of src/ (test/helpers/suggested-code.ts) is compiled
 * by the TypeScript compiler against the "autodist" module's declarations — dist/autodist.d.ts as
 * `npm run build` ships it (emitted from the sources by the same function when dist/ is older than
 * src/) — in the places a person writes it: a `parallelize(model, { tp, weights, comm, ctx })`
 * body, a `program(rank, { weights })` body, and a spec (`weights: { file, layout }`). A call that
 * compiles in none of them is a fix that would not run.
 *
 * Python: each `torch.…` name a message suggests resolves in AutoDist's own torch (src/python) to a
 * module, class, function or value that is not itself only a refusal (`raise Unsupported(…)`), and
 * each `.method(…)` a Python message suggests is a method some class of that torch defines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { emitDeclarations } from '../src/cli/types-emit.js';
import { sourceFiles, stringsOf, suggestedCode, suggestedTorchNames, type Suggestion } from './helpers/suggested-code.js';

const ROOT = path.resolve(__dirname, '..');
const SHIPPED = path.join(ROOT, 'dist', 'autodist.d.ts');

function newest(files: readonly string[]): number {
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

/** The shipped declarations, or (dist/ stale or absent) the very text the build would ship. */
function declarations(): string {
  const fresh = existsSync(SHIPPED) && statSync(SHIPPED).mtimeMs >= newest(sourceFiles(path.join(ROOT, 'src'), /\.ts$/));
  return fresh ? readFileSync(SHIPPED, 'utf8') : emitDeclarations(path.join(ROOT, 'src', 'index.ts'));
}

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts'],
  types: [],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
};

/** A program over the declarations and one snippet file, both in memory. */
function compile(dts: string, code: string): { program: ts.Program; file: ts.SourceFile } {
  const files = new Map([['/decl/autodist.d.ts', dts], ['/snippets.ts', code]]);
  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (files.has(f) ? ts.createSourceFile(f, files.get(f)!, lang, true) : getSourceFile(f, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => files.get(f) ?? readFile(f);
  const program = ts.createProgram(['/decl/autodist.d.ts', '/snippets.ts'], OPTIONS, host);
  return { program, file: program.getSourceFile('/snippets.ts')! };
}

/** The values (not types) the "autodist" module exports. */
function exportedValues(dts: string): Set<string> {
  const { program, file } = compile(dts, 'import * as autodist from "autodist";\nexport {};\n');
  const checker = program.getTypeChecker();
  const decl = file.statements.find(ts.isImportDeclaration)!;
  const sym = checker.getSymbolAtLocation(decl.moduleSpecifier)!;
  const out = new Set<string>();
  for (const s of checker.getExportsOfModule(sym)) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    if (target.flags & ts.SymbolFlags.Value) out.add(s.name);
  }
  return out;
}

/** A message's code as TypeScript: `…` / `...` placeholders outside quotes become a spread of `any`. */
export function asTypeScript(code: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      if (c === quote) quote = '';
      out += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      out += c;
    } else if (/^\((\.\.\.|…)\)/.test(code.slice(i))) {
      // `rank.tensor(...)`: the call's arguments left to the reader — the member must exist
      i += code[i + 1] === '…' ? 2 : 4;
    } else if (c === '…' || code.startsWith('...', i)) {
      const spread = code.startsWith('...', i) ? 3 : 1;
      // `...name` is a real spread; a bare placeholder stands for "whatever goes here"
      if (spread === 3 && /[A-Za-z_$]/.test(code[i + 3] ?? '')) out += '...';
      else out += '...__A__';
      i += spread - 1;
    } else out += c;
  }
  return out;
}

/** The places a fix's code is written, each a function the snippet is the body of. */
const PLACES: readonly { name: string; head: string }[] = [
  { name: 'parallelize', head: 'async (model: any, p: ParallelizeContext, rank: autodist.RankContext, x: autodist.Tensor) => { const { tp, dp, pp, mesh, comm, ctx, weights } = p;' },
  { name: 'program', head: 'async (rank: autodist.RankContext, { weights }: autodist.ProgramContext, x: autodist.Tensor) => { const comm = rank.comm; const ctx = rank; const mesh = rank.mesh; const tp = 2;' },
  { name: 'loss', head: 'async (output: autodist.Tensor, batch: autodist.Batch) => {' },
  { name: 'spec', head: 'async (weights: WeightsSpec, rank: autodist.RankContext) => {' },
];

/** Compiles every suggestion in every place; returns those that compile in none, with why. */
function check(dts: string, suggestions: readonly Suggestion[]): string[] {
  const values = exportedValues(dts);
  const prelude = [
    'import * as autodist from "autodist";',
    `import { ${[...values].filter((v) => v !== 'default').join(', ')} } from "autodist";`,
    'import type { ParallelizeContext } from "autodist/internal/parallel/simulation/spec";',
    'import type { WeightsSpec } from "autodist/internal/models/checkpoint-layout";',
    // what a message leaves for the reader to fill in: `…`, `${…}` and the names of its example
    'declare const __A__: any, __S__: any, values: any, batch: number, seq: number, y: autodist.Tensor;',
  ];
  const lines = [...prelude];
  const owner: number[] = []; // line → suggestion index
  const linesOf: number[][] = []; // suggestion index → its lines, one per place
  suggestions.forEach((s, i) => {
    linesOf[i] = [];
    for (const p of PLACES) {
      owner[lines.length] = i;
      linesOf[i].push(lines.length);
      lines.push(`export const __${p.name}_${i} = ${p.head} ${asTypeScript(s.code)}; };`);
    }
  });
  const { program, file } = compile(dts, lines.join('\n') + '\n');
  const diags = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  const preludeErrors = diags.filter((d) => d.start !== undefined && file.getLineAndCharacterOfPosition(d.start).line < prelude.length);
  assert.equal(preludeErrors.length, 0, `the check's own prelude does not compile: ${preludeErrors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; ')}`);
  const failing = new Map<number, string>(); // line → its first error
  for (const d of diags) {
    if (d.start === undefined) continue;
    const line = file.getLineAndCharacterOfPosition(d.start).line;
    if (owner[line] !== undefined && !failing.has(line)) failing.set(line, ts.flattenDiagnosticMessageText(d.messageText, ' '));
  }
  const bad: string[] = [];
  suggestions.forEach((s, i) => {
    // an error in every place means no place takes it
    if (linesOf[i].every((n) => failing.has(n))) bad.push(`${s.at}: \`${s.code}\` — ${[...new Set(linesOf[i].map((n) => failing.get(n)))].join(' / ')}`);
  });
  return bad;
}

test('every API call a message suggests compiles against the shipped autodist.d.ts', () => {
  const dts = declarations();
  const values = exportedValues(dts);
  assert.ok(values.has('ColumnParallelLinear') && values.has('simulation'), 'the declarations export the API');
  const suggestions = suggestedCode(ts, ROOT, values);
  // the scan finds the fixes it must (a scan that finds nothing checks nothing)
  for (const must of ['new RowParallelLinear(', 'rank.comm.allReduce(', '.splitFused(', 'simulation(']) {
    assert.ok(suggestions.some((s) => s.code.includes(must)), `no suggestion with ${must} found in src/ — the scan is broken`);
  }
  const bad = check(dts, suggestions);
  assert.deepEqual(bad, [], `${bad.length} of ${suggestions.length} suggested calls do not exist in the API:\n${bad.join('\n')}`);
});

test('the check fails a suggestion that is not in the API', () => {
  const dts = declarations();
  const wrong: Suggestion[] = [
    { code: 'rank.peer("pp", +1)', at: 'wrong:1' }, // the old pipeline fix: peer lives on rank.comm
    { code: 'new RowParallelLinear(weights["…"].split(0, tp), { inputParallel: true })', at: 'wrong:2' },
    { code: 'await rank.comm.all_reduce(x, { axis: "tp" })', at: 'wrong:3' },
    { code: 'weights["…"].splitFused(tp)', at: 'wrong:4' },
    { code: 'new RowParallelLiner(weights["…"].split(0, tp))', at: 'wrong:5' },
  ];
  const right: Suggestion[] = [{ code: 'rank.comm.peer("pp", +1)', at: 'right:1' }];
  assert.equal(check(dts, [...wrong, ...right]).length, wrong.length);
});

/** Where a dotted torch name lives in src/python: its module file and the attribute path left. */
function resolveTorch(name: string): string | null {
  const parts = name.split('.');
  let dir = path.join(ROOT, 'src', 'python');
  let file: string | undefined;
  let i = 0;
  for (; i < parts.length; i++) {
    const pkg = path.join(dir, parts[i], '__init__.py');
    const mod = path.join(dir, `${parts[i]}.py`);
    if (existsSync(pkg)) {
      file = pkg;
      dir = path.join(dir, parts[i]);
    } else if (existsSync(mod)) {
      file = mod;
      i++;
      break;
    } else break;
  }
  if (!file) return `no module ${parts[0]}`;
  const rest = parts.slice(i);
  if (rest.length === 0) return null;
  const text = readFileSync(file, 'utf8');
  const attr = rest[0];
  const defined = new RegExp(`^(?:def ${attr}\\(|class ${attr}\\b|${attr}\\s*[:=])|^from \\S+ import .*\\b${attr}\\b|^import .*\\bas ${attr}\\b`, 'm');
  if (!defined.test(text)) return `${path.relative(ROOT, file)} defines no ${attr}`;
  // a function whose body begins by refusing is not a fix
  const body = text.match(new RegExp(`^def ${attr}\\([^]*?:\\n((?:[ \\t]+.*\\n?)+)`, 'm'))?.[1] ?? '';
  const first = body.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('"""') && !l.startsWith('#'));
  if (first && /^raise (Unsupported|_unsupported)|^_missing\(/.test(first)) return `${name} only raises Unsupported`;
  return null;
}

test('every torch name a message suggests exists in AutoDist\'s torch', () => {
  const names = suggestedTorchNames(ts, ROOT);
  for (const must of ['torch.where', 'torch.tensor']) assert.ok(names.some((n) => n.code === must), `no suggestion naming ${must} found — the scan is broken`);
  const bad = names.map((n) => ({ n, why: resolveTorch(n.code) })).filter((r) => r.why).map((r) => `${r.n.at}: ${r.n.code} — ${r.why}`);
  assert.deepEqual(bad, []);
  // and the resolver refuses what is not there or only refuses
  assert.ok(resolveTorch('torch.distributed.all_reduce_everything'));
  assert.ok(resolveTorch('torch.view_as_complex'), 'torch.view_as_complex only raises Unsupported in AutoDist\'s torch');
  assert.equal(resolveTorch('torch.distributed.all_reduce'), null);
});

test('every method a Python message suggests (".name(") is defined by AutoDist\'s torch', () => {
  const defs = new Set<string>();
  for (const f of sourceFiles(path.join(ROOT, 'src', 'python'), /\.py$/)) for (const m of readFileSync(f, 'utf8').matchAll(/^\s+def ([A-Za-z_]\w*)\(/gm)) defs.add(m[1]);
  const bad: string[] = [];
  let seen = 0;
  for (const f of sourceFiles(path.join(ROOT, 'src', 'python'), /\.py$/)) {
    readFileSync(f, 'utf8').split('\n').forEach((l, i) => {
      const advice = [...l.matchAll(/(?:Unsupported|_unsupported)\([^,]*,\s*f?(["'])(.*?)\1/g)].map((m) => m[2]);
      for (const m of l.matchAll(/\braise\b.*?\buse ([^"']*)/g)) advice.push(m[1]);
      for (const a of advice) {
        for (const m of a.matchAll(/(?<![\w.])(?:[a-z_]\w*)?\.([a-z_]\w*)\(/g)) {
          if (a.slice(0, m.index).endsWith('torch')) continue;
          seen++;
          if (!defs.has(m[1])) bad.push(`${path.relative(ROOT, f)}:${i + 1}: .${m[1]}(…)`);
        }
      }
    });
  }
  assert.ok(seen >= 3, `found only ${seen} suggested methods — the scan is broken`);
  assert.deepEqual(bad, []);
});

test('every option a message tells to set ("gatherOutput: true") is a property the API declares', () => {
  const dts = declarations();
  const declared = new Set([...dts.matchAll(/^\s+(?:readonly\s+)?([A-Za-z_]\w*)\??:/gm)].map((m) => m[1]));
  const bad: string[] = [];
  let seen = 0;
  for (const f of sourceFiles(path.join(ROOT, 'src'), /\.ts$/)) {
    if (f.includes(`${path.sep}python${path.sep}`) || f.includes(`${path.sep}extension${path.sep}`)) continue;
    for (const s of stringsOf(ts, f)) {
      for (const m of s.text.matchAll(/\b(?:set|give|with|use|pass)\s+(?:it\s+|the layer before it\s+)?([a-z][A-Za-z]*): (true|false|\d+|"[^"]*")/g)) {
        seen++;
        if (!declared.has(m[1])) bad.push(`${path.relative(ROOT, f)}:${s.line}: ${m[1]}`);
      }
    }
  }
  assert.ok(seen >= 2, `found only ${seen} suggested options — the scan is broken`);
  assert.deepEqual(bad, []);
});
