/** The command line, parsed into typed commands (no dependency: a dozen flags do not need one). */

export interface SimulateArgs {
  readonly command: 'simulate';
  readonly script: string;
  /** The whole mesh, replacing the script's: --mesh dp=2,pp=2,tp=2 */
  readonly mesh?: Readonly<Record<string, number>>;
  readonly meta: boolean;
  readonly backend?: 'wasm' | 'cpu';
  /** Threads of the WASM backend; undefined: as many as the machine has, for large numeric runs. */
  readonly threads?: number;
  readonly hardware?: string;
  readonly algorithm?: 'ring' | 'tree';
  readonly json?: string;
  readonly trace?: string;
  readonly html?: string;
  /** Write the verifier's tensors (reference and sharded) to a .safetensors file. */
  readonly dump?: string;
  readonly timeoutS: number;
  readonly maxMemoryGB: number;
  readonly nanCheck: boolean;
  readonly quiet: boolean;
  /** Python files: processes to run, as torchrun's --nproc-per-node. */
  readonly nprocPerNode?: number;
  /** Python files: the script's own arguments (after `--`): its sys.argv[1:]. */
  readonly scriptArgs?: readonly string[];
}

/** `autodist compare A B …`: the simulate options, applied to every script; no trace. */
export interface CompareArgs extends Omit<SimulateArgs, 'command' | 'script' | 'trace' | 'dump'> {
  readonly command: 'compare';
  readonly scripts: readonly string[];
}

export type CliCommand =
  | SimulateArgs
  | CompareArgs
  | { readonly command: 'init'; readonly dir: string; readonly force: boolean }
  | { readonly command: 'demo'; readonly backend?: 'wasm' | 'cpu'; readonly timeoutS: number }
  | { readonly command: 'help' }
  | { readonly command: 'version' };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `AutoDist — simulate LLM parallelization code on N virtual ranks and check it against the unsharded model.

Usage:
  autodist simulate <script.ts> [options]   run a script's simulation and print its summary
  autodist simulate train.py --nproc-per-node N [options] [-- ARGS]
                                            run a PyTorch file as torchrun would, on N simulated
                                            processes, checked against its own world-size-1 run
  autodist compare <a.ts> <b.ts> [more…] [options]
                                            run several scripts one after the other and print one
                                            table, a column per run (simulate's options, no --trace)
  autodist init [dir] [--force]             write an example script and the types an editor needs
  autodist demo                             the seed-003 FFN at TP=4 and a GPT-2 at TP=2 × PP=2
  autodist plan --model M --gpus N --seq S --global-batch B [--gpu h100] [--open K]
                                            rank dp × pp × tp plans that fit, with memory and step time
  autodist --help | --version

Options of simulate (and compare, but --trace):
  --mesh dp=2,pp=2,tp=2    the mesh to use instead of the script's (axes dp, pp, tp)
  --meta                   shapes, bytes and time only: no numbers, no verification (any size)
  --backend wasm|cpu       TensorFlow.js backend for numeric mode (default wasm)
  --threads N              WASM threads (default: every core, for numeric runs over 2 GFLOP; 1 = none)
  --hardware h100          hardware preset for time and memory: a100, h100, h200 (default h100)
  --algorithm ring|tree    collective algorithm for the cost model (default ring)
  --json FILE              write the report as JSON (docs/report.schema.json); "-" for stdout;
                           compare writes { "runs": [report, …] } in the order given
  --trace FILE             write a Chrome trace (open it in Perfetto or chrome://tracing)
  --html FILE              write a self-contained HTML report (compare: the runs side by side)
  --dump FILE.safetensors  write the tensors verification compares, by name: input, labels,
                           ref/<module>.out and sim/<module>.out (assembled from the shards),
                           ref/<param>.grad and sim/<param>.grad, ref/loss and sim/loss
  --timeout S              stop the run after S seconds (default 120)
  --max-memory GB          refuse numeric runs estimated above this (default 4)
  --no-nan-check           do not stop at the first op that makes NaN or Inf
  --quiet                  no progress on stderr
  --nproc-per-node N       Python files: processes to start (or a "# autodist: --nproc-per-node N" line)

Exit codes: 0 verified, 1 verification failed, 2 bad input or script error, 3 AutoDist itself failed
(an internal error: the JSON report is still written with what was recorded).`;

const AXIS = /^[a-z][a-z0-9_]*$/;

/** "dp=2,pp=2,tp=2" → { dp: 2, pp: 2, tp: 2 } (axis names are checked by the simulation). */
export function parseMesh(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(.*)$/.exec(part);
    if (!m) throw new UsageError(`--mesh: "${part}" is not axis=size (e.g. --mesh dp=2,tp=4)`);
    const axis = m[1].trim();
    const size = Number(m[2].trim());
    if (!AXIS.test(axis)) throw new UsageError(`--mesh: "${axis}" is not an axis name (e.g. dp, pp, tp)`);
    if (!Number.isInteger(size) || size < 1) throw new UsageError(`--mesh: ${axis}=${m[2]} — the size must be a whole number ≥ 1`);
    if (axis in out) throw new UsageError(`--mesh: axis "${axis}" is given twice`);
    out[axis] = size;
  }
  if (Object.keys(out).length === 0) throw new UsageError('--mesh needs at least one axis, e.g. --mesh tp=4');
  return out;
}

export function parseArgs(argv: readonly string[]): CliCommand {
  const args = [...argv];
  const first = args.shift();
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { command: 'help' };
  if (first === '--version' || first === '-v' || first === 'version') return { command: 'version' };
  const { flags, positional: all, dashed } = split(args);
  const positional = all;
  switch (first) {
    case 'simulate':
    case 'sim':
    case 'run': {
      const known = ['mesh', 'meta', 'backend', 'threads', 'hardware', 'algorithm', 'json', 'trace', 'html', 'dump', 'timeout', 'max-memory', 'no-nan-check', 'quiet', 'help', 'nproc-per-node', 'nproc_per_node'];
      checkFlags(flags, known);
      if (flags.has('help')) return { command: 'help' };
      if (positional.length === 0) throw new UsageError('simulate needs a script: autodist simulate my_script.ts (or train.py --nproc-per-node 4)');
      const isPy = positional[0].endsWith('.py');
      if (positional.length !== 1 && !(isPy && dashed.length)) throw new UsageError(`simulate takes one script, got ${positional.join(' ')}${isPy ? ' (a Python script\'s own arguments go after --: autodist simulate train.py --nproc-per-node 4 -- --lr 0.1)' : ''}`);
      const np = flags.has('nproc-per-node') ? integer(flags, 'nproc-per-node') : flags.has('nproc_per_node') ? integer(flags, 'nproc_per_node') : undefined;
      if (np !== undefined && !isPy) throw new UsageError('--nproc-per-node is for Python files (a TypeScript script sets its mesh)');
      return {
        command: 'simulate',
        script: positional[0],
        mesh: flags.has('mesh') ? parseMesh(value(flags, 'mesh')) : undefined,
        meta: bool(flags, 'meta'),
        backend: choice(flags, 'backend', ['wasm', 'cpu']),
        threads: flags.has('threads') ? integer(flags, 'threads') : undefined,
        hardware: flags.has('hardware') ? value(flags, 'hardware') : undefined,
        algorithm: choice(flags, 'algorithm', ['ring', 'tree']),
        json: flags.has('json') ? value(flags, 'json') : undefined,
        trace: flags.has('trace') ? value(flags, 'trace') : undefined,
        html: flags.has('html') ? value(flags, 'html') : undefined,
        dump: flags.has('dump') ? value(flags, 'dump') : undefined,
        timeoutS: positive(flags, 'timeout', 120),
        maxMemoryGB: positive(flags, 'max-memory', 4),
        nanCheck: !bool(flags, 'no-nan-check'),
        quiet: bool(flags, 'quiet'),
        ...(np !== undefined ? { nprocPerNode: np } : {}),
        ...(isPy ? { scriptArgs: dashed } : {}),
      };
    }
    case 'compare': {
      checkFlags(flags, ['mesh', 'meta', 'backend', 'threads', 'hardware', 'algorithm', 'json', 'html', 'timeout', 'max-memory', 'no-nan-check', 'quiet', 'help']);
      if (flags.has('help')) return { command: 'help' };
      if (positional.length < 2) throw new UsageError(`compare needs two scripts or more${positional.length ? `, got only ${positional[0]}` : ''}: autodist compare a.ts b.ts`);
      return {
        command: 'compare',
        scripts: positional,
        mesh: flags.has('mesh') ? parseMesh(value(flags, 'mesh')) : undefined,
        meta: bool(flags, 'meta'),
        backend: choice(flags, 'backend', ['wasm', 'cpu']),
        threads: flags.has('threads') ? integer(flags, 'threads') : undefined,
        hardware: flags.has('hardware') ? value(flags, 'hardware') : undefined,
        algorithm: choice(flags, 'algorithm', ['ring', 'tree']),
        json: flags.has('json') ? value(flags, 'json') : undefined,
        html: flags.has('html') ? value(flags, 'html') : undefined,
        timeoutS: positive(flags, 'timeout', 120),
        maxMemoryGB: positive(flags, 'max-memory', 4),
        nanCheck: !bool(flags, 'no-nan-check'),
        quiet: bool(flags, 'quiet'),
      };
    }
    case 'init':
      checkFlags(flags, ['force']);
      if (positional.length > 1) throw new UsageError('init takes at most one folder');
      return { command: 'init', dir: positional[0] ?? '.', force: bool(flags, 'force') };
    case 'demo':
      checkFlags(flags, ['backend', 'timeout']);
      return { command: 'demo', backend: choice(flags, 'backend', ['wasm', 'cpu']), timeoutS: positive(flags, 'timeout', 300) };
    default:
      throw new UsageError(`unknown command "${first}" (commands: simulate, compare, plan, init, demo)`);
  }
}

type Flags = Map<string, string | true>;

function split(args: string[]): { flags: Flags; positional: string[]; dashed: string[] } {
  const flags: Flags = new Map();
  const positional: string[] = [];
  const dashed: string[] = [];
  const takesValue = new Set(['mesh', 'backend', 'threads', 'hardware', 'algorithm', 'json', 'trace', 'html', 'dump', 'timeout', 'max-memory', 'nproc-per-node', 'nproc_per_node']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      dashed.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`);
    if (eq >= 0) flags.set(name, a.slice(eq + 1));
    else if (takesValue.has(name)) {
      const v = args[i + 1];
      if (v === undefined || (v.startsWith('--') && v !== '-')) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
      i++;
    } else flags.set(name, true);
  }
  return { flags, positional, dashed };
}

function checkFlags(flags: Flags, known: readonly string[]): void {
  for (const k of flags.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
}

function value(flags: Flags, name: string): string {
  const v = flags.get(name);
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value`);
  return v;
}

function bool(flags: Flags, name: string): boolean {
  const v = flags.get(name);
  if (v === undefined) return false;
  if (v !== true) throw new UsageError(`--${name} takes no value`);
  return true;
}

function choice<T extends string>(flags: Flags, name: string, options: readonly T[]): T | undefined {
  if (!flags.has(name)) return undefined;
  const v = value(flags, name);
  if (!options.includes(v as T)) throw new UsageError(`--${name} must be ${options.join(' or ')}, got "${v}"`);
  return v as T;
}

function integer(flags: Flags, name: string): number {
  const raw = value(flags, name);
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a whole number ≥ 1, got "${raw}"`);
  return v;
}

function positive(flags: Flags, name: string, dflt: number): number {
  if (!flags.has(name)) return dflt;
  const raw = value(flags, name);
  const v = Number(raw);
  if (!(v > 0)) throw new UsageError(`--${name} must be a positive number, got "${raw}"`);
  return v;
}
