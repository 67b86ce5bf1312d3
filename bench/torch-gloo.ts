/**
 * Issue 5: the seed-003 FFN (B=8, S=128, d=1024, P=4), forward + backward, from `autodist simulate`
 * start to a verified report — against the peer a person would otherwise run: the same computation
 * on torch.distributed (gloo, 4 CPU processes), bench/torch/ffn_tp4.py.
 *
 *   runner.seed003-vs-torch-gloo
 *     AutoDist  `node dist/cli.js simulate examples/ffn_tp4.ts --json <tmp>` timed as a child
 *               process from spawn to exit; the JSON must say verification.passed.
 *     torch     `/usr/bin/python3 bench/torch/ffn_tp4.py` timed the same way (Debian's
 *               python3-torch; the python3 first on PATH may be one without torch), once per BLAS
 *               found: Debian's torch is built with BLAS_INFO=generic, so its matmuls run on
 *               whichever libblas.so.3 the loader finds — the reference BLAS (libblas3) or
 *               OpenBLAS (libopenblas0-pthread). Each variant is forced with LD_LIBRARY_PATH; the
 *               script reports the library it actually mapped. 1 thread per process, as torchrun
 *               sets by default (OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1).
 *   pass: AutoDist's wall time ≤ the fastest torch variant's wall time (the "peer to beat").
 *   Without torch (or gloo) the entry says "skipped — peer unavailable" and passes: nothing to compare.
 *
 * Environment: AUTODIST_TORCH_PYTHON (default /usr/bin/python3), AUTODIST_TORCH_REPS (torch runs
 * per variant, median; default 1).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Bench, BenchResult } from './suite.js';

const root = path.resolve(__dirname, '..');
const PYTHON = process.env.AUTODIST_TORCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = path.join(root, 'bench/torch/ffn_tp4.py');
const EXAMPLE = path.join(root, 'examples/ffn_tp4.ts');

const B = 8;
const S = 128;
const D = 1024;
/** One forward of the FFN: two matmuls of 2·B·S·d·4d FLOPs each (17.2 GFLOP). */
const FWD_FLOPS = 2 * (2 * B * S * D * 4 * D);
/** Forward + backward: 3 × the forward (51.5 GFLOP), what both sides compute as the sharded step. */
const STEP_FLOPS = 3 * FWD_FLOPS;
/** What AutoDist executes for a verified report: the sharded step and the unsharded reference step (the accounting of runner.seed003-ffn-verified). */
const AUTODIST_EXECUTED_FLOPS = STEP_FLOPS + STEP_FLOPS;

const BLAS_VARIANTS: readonly { readonly name: string; readonly dir: string }[] = [
  { name: 'OpenBLAS', dir: '/usr/lib/x86_64-linux-gnu/openblas-pthread' },
  { name: 'reference BLAS', dir: '/usr/lib/x86_64-linux-gnu/blas' },
];

interface Timed {
  readonly wallS: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its exit; the wall time counts from just before spawn to the exit event. */
function timedRun(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ wallS: (performance.now() - t0) / 1000, code, stdout, stderr }));
  });
}

const gflops = (flops: number, s: number) => `${(flops / s / 1e9).toFixed(2)} GFLOP/s`;
const secs = (s: number) => `${s.toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tail = (s: string, n = 400) => s.trim().slice(-n).replace(/\s+/g, ' ');
const load = () => loadavg().map((x) => x.toFixed(2)).join(', ');

/** Why the peer cannot run here, or undefined when it can. */
function peerMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist (apt-get install -y python3-torch)`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, torch.distributed as d; print(torch.__version__, d.is_available() and d.is_gloo_available())'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return `${PYTHON} cannot import torch (apt-get install -y python3-torch): ${tail(r.stderr ?? '', 200)}`;
  if (!/ True\s*$/.test(r.stdout)) return `torch ${r.stdout.trim().split(' ')[0]} has no torch.distributed with gloo`;
  return undefined;
}

interface TorchResult {
  readonly compute_s: number;
  readonly to_backward_end_s: number;
  readonly import_s: number;
  readonly spawn_s: number;
  readonly setup_s: number;
  readonly joined_s: number;
  readonly loss: number;
  readonly flops: number;
  readonly torch: string;
  readonly blas?: string[];
}

interface TorchRun {
  readonly variant: string;
  readonly wallS: number;
  readonly result: TorchResult;
}

async function runTorch(variant: { name: string; dir: string }): Promise<TorchRun> {
  const env = { ...process.env, LD_LIBRARY_PATH: [variant.dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const r = await timedRun(PYTHON, [SCRIPT], env);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.code !== 0 || !line) throw new Error(`torch (${variant.name}) exited ${r.code}: ${tail(r.stderr || r.stdout)}`);
  const result = JSON.parse(line.slice('RESULT '.length)) as TorchResult;
  return { variant: variant.name, wallS: r.wallS, result };
}

export const seedVsTorch: Bench = {
  id: 'runner.seed003-vs-torch-gloo',
  async run(): Promise<BenchResult> {
    const loadBefore = load();
    const missing = peerMissing();

    // (a) AutoDist: the CLI from spawn to exit, to a verified report
    const tmp = mkdtempSync(path.join(tmpdir(), 'autodist-bench-'));
    const json = path.join(tmp, 'report.json');
    let auto: Timed;
    let verified = false;
    let simulatedS = NaN;
    let backend = '?';
    try {
      auto = await timedRun(process.execPath, [path.join(root, 'dist/cli.js'), 'simulate', EXAMPLE, '--json', json]);
      if (existsSync(json)) {
        const rep = JSON.parse(readFileSync(json, 'utf8')) as { verification?: { passed?: boolean }; wallMs?: number; backend?: string };
        verified = rep.verification?.passed === true;
        simulatedS = (rep.wallMs ?? NaN) / 1000;
        backend = rep.backend ?? '?';
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const autoLine = `AutoDist: ${secs(auto.wallS)} from spawn to exit (exit ${auto.code}, ${verified ? 'verified' : 'NOT verified'}), backend ${backend}; ${gflops(STEP_FLOPS, auto.wallS)} on the 51.5 GFLOP step`;
    const autoDetails = [
      autoLine,
      `  AutoDist also runs the unsharded reference fwd+bwd to verify: ≈ ${(AUTODIST_EXECUTED_FLOPS / 1e9).toFixed(0)} GFLOP executed → ${gflops(AUTODIST_EXECUTED_FLOPS, auto.wallS)} over the wall time, ${gflops(AUTODIST_EXECUTED_FLOPS, simulatedS)} over the in-process simulation (${secs(simulatedS)}, report.wallMs)`,
    ];
    if (!verified) autoDetails.push(`  AutoDist output: ${tail(auto.stderr || auto.stdout)}`);

    if (missing) {
      return {
        id: this.id,
        pass: true,
        summary: `SKIPPED — peer unavailable (${missing}); AutoDist alone: ${secs(auto.wallS)} to a ${verified ? 'verified' : 'NOT verified'} report`,
        details: [...autoDetails, `load average before: ${loadBefore}, after: ${load()} (2 cores)`],
      };
    }

    // (b) torch.distributed gloo, 4 processes, per BLAS available
    const reps = Math.max(1, Number(process.env.AUTODIST_TORCH_REPS ?? 1));
    const variants = BLAS_VARIANTS.filter((v) => existsSync(path.join(v.dir, 'libblas.so.3')));
    if (!variants.length) variants.push({ name: 'system BLAS', dir: '' });
    const runs: TorchRun[] = [];
    for (const v of variants) {
      const rs: TorchRun[] = [];
      for (let i = 0; i < reps; i++) rs.push(await runTorch(v));
      const mid = median(rs.map((r) => r.wallS));
      runs.push(rs.find((r) => r.wallS === mid)!);
    }
    const best = runs.reduce((a, b) => (b.wallS < a.wallS ? b : a));
    const ratio = auto.wallS / best.wallS;
    const torchLines = runs.map((r) => {
      const t = r.result;
      const blas = (t.blas ?? []).map((b) => path.basename(b)).join(', ') || '?';
      return [
        `torch ${t.torch} gloo ×4, ${r.variant} (${blas}): ${secs(r.wallS)} from spawn to exit → ${gflops(STEP_FLOPS, r.wallS)}; compute only (fwd+bwd, slowest rank) ${secs(t.compute_s)} → ${gflops(STEP_FLOPS, t.compute_s)}`,
        `  to the end of backward ${secs(t.to_backward_end_s)} = import torch ${secs(t.import_s)}, spawn of 4 interpreters (each imports torch) ${secs(t.spawn_s)}, gloo + weights ${secs(t.setup_s)}, step ${secs(t.compute_s)}; exit of the processes at ${secs(t.joined_s)}; loss ${t.loss.toFixed(5)}`,
      ];
    });
    return {
      id: this.id,
      pass: verified && auto.wallS <= best.wallS,
      summary: `AutoDist ${secs(auto.wallS)} to a ${verified ? 'verified' : 'NOT verified'} report vs torch gloo ×4 (${best.variant}) ${secs(best.wallS)} → ratio ${ratio.toFixed(2)} (target ≤ 1.0); ${gflops(STEP_FLOPS, auto.wallS)} vs ${gflops(STEP_FLOPS, best.wallS)} (compute only: torch ${gflops(STEP_FLOPS, best.result.compute_s)})`,
      details: [
        ...autoDetails,
        ...torchLines.flat(),
        `FLOPs of the step: 3 × 2 matmuls × 2·B·S·d·4d = ${(STEP_FLOPS / 1e9).toFixed(1)} GFLOP (B=${B}, S=${S}, d=${D}); wall times are whole processes (start, imports, set-up, exit)`,
        `load average before: ${loadBefore}, after: ${load()} (2 cores; the torch variant run ${reps}× each, median)`,
      ],
    };
  },
};

export const TORCH_BENCHES: readonly Bench[] = [seedVsTorch];
