/**
 * The catalogue of bad inputs: every file in cases/ is a script a careless or hostile person
 * might write, run through the real command line (dist/cli.js, built if older than src/) in a
 * subprocess, two at a time. Each case says in its first comment lines what must happen:
 *
 *   // exit: 2                          the process's exit code
 *   // message: mesh axis "tp"          a fragment of the terminal output (stdout + stderr); several allowed
 *   // absent: internal error           a fragment that must NOT appear; several allowed
 *   // args: --meta --timeout 5         extra command-line arguments
 *   // json: none                       no JSON report is expected (the command line itself was refused)
 *   // json-error: dtype                a fragment of the JSON report's first error headline (or its source)
 *   // json-ledger: 2                   the JSON report holds at least this many ledger entries (nothing recorded is lost)
 *
 * Every case that runs a script must also leave a JSON report whose exitCode is the process's:
 * nothing recorded is lost, nothing crashes. A case file's name says what it tries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CASES = path.join(__dirname, 'cases');
const CLI = path.join(ROOT, 'dist', 'cli.js');

interface Case {
  readonly name: string;
  readonly file: string;
  readonly exit: number;
  readonly messages: readonly string[];
  readonly absent: readonly string[];
  readonly args: readonly string[];
  readonly json: boolean;
  readonly jsonError?: string;
  readonly jsonLedger?: number;
}

export function parseCase(file: string): Case {
  const text = readFileSync(file, 'utf8');
  const get = (key: string) => [...text.matchAll(new RegExp(`^(?://|#) ${key}: (.*)$`, 'gm'))].map((m) => m[1].trim());
  const exit = get('exit');
  if (exit.length !== 1) throw new Error(`${file}: needs one "// exit: N" line`);
  return {
    name: path.relative(CASES, file),
    file,
    exit: Number(exit[0]),
    messages: get('message'),
    absent: get('absent'),
    args: get('args').flatMap((a) => a.split(/\s+/)),
    json: get('json')[0] !== 'none',
    jsonError: get('json-error')[0],
    jsonLedger: get('json-ledger').length ? Number(get('json-ledger')[0]) : undefined,
  };
}

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

function ensureBuilt(): void {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(path.join(ROOT, 'src'))) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `build failed: ${r.stderr}`);
}

function run(c: Case, out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const timeout = c.args.includes('--timeout') ? [] : ['--timeout', '30'];
    const args = [CLI, 'simulate', c.file, '--quiet', '--backend', 'cpu', ...timeout, '--json', out, ...c.args];
    const p = spawn(process.execPath, args, { cwd: path.dirname(c.file), env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, output }));
  });
}

function caseFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'helpers' ? [] : caseFiles(p);
    return /\.(ts|js|mjs|cjs)$/.test(d.name) && !d.name.startsWith('_') ? [p] : [];
  });
}

const cases = caseFiles(CASES).sort().map(parseCase);

test('bad inputs: each case gets its exit code and its message, and a JSON report', { timeout: 600_000 }, async (t) => {
  ensureBuilt();
  const tmp = mkdtempSync(path.join(tmpdir(), 'autodist-bad-'));
  const queue = [...cases];
  const failures: string[] = [];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const out = path.join(tmp, c.name.replace(/[^\w.-]+/g, '_') + '.json');
      const r = await run(c, out);
      const problems: string[] = [];
      if (r.code !== c.exit) problems.push(`exit ${r.code}, expected ${c.exit}`);
      for (const m of c.messages) if (!r.output.includes(m)) problems.push(`no "${m}" in the output`);
      for (const m of c.absent) if (r.output.includes(m)) problems.push(`"${m}" in the output`);
      if (c.json) {
        if (!existsSync(out)) problems.push('no JSON report written');
        else {
          const rep = JSON.parse(readFileSync(out, 'utf8')) as { exitCode: number; errors: { headline: string; source?: { file: string; line: number } }[]; collectives: unknown[] };
          if (rep.exitCode !== r.code) problems.push(`the JSON report says exit ${rep.exitCode}, the process ${r.code}`);
          const e = rep.errors[0];
          const said = e ? `${e.headline} ${e.source ? `${path.basename(e.source.file)}:${e.source.line}` : ''}` : '';
          if (c.jsonError && !said.includes(c.jsonError)) problems.push(`the JSON's first error is "${said}", expected "${c.jsonError}"`);
          if (c.jsonLedger !== undefined && rep.collectives.length < c.jsonLedger) problems.push(`the JSON holds ${rep.collectives.length} ledger entries, expected ${c.jsonLedger}`);
        }
      }
      if (problems.length) failures.push(`${c.name}: ${problems.join('; ')}\n---- output:\n${r.output.trim().split('\n').slice(-15).join('\n')}\n----`);
    }
  };
  await Promise.all([worker(), worker()]);
  t.diagnostic(`${cases.length} cases`);
  assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases:\n${failures.join('\n')}`);
});
