/**
 * `autodist plan`: search the parallel plans of a model on a cluster, print the ranked table and
 * why the rest fail; optionally write the result as JSON and simulate one plan in meta mode.
 *
 *   autodist plan --model llama-3-70b --gpus 512 --gpu h100 --seq 8192 --global-batch 1024
 *                 [--gpus-per-node 8] [--top 10] [--json FILE] [--open N] …
 *                 [--tp T --pp P --dp D --cp C --vpp V --mb M --sp on|off --recompute R --zero Z]
 * Layout flags hold those dimensions fixed; all of them given, exactly that plan is evaluated and,
 * if it cannot run, the reason is printed (exit 1).
 *
 * Exit codes: 0 a plan fits (and the simulation, with --open, ran); 1 no plan fits or the
 * simulation failed; 2 bad input (the message says what to change).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SimError } from '../core/errors.js';
import { fmtUs } from '../report-html/units.js';
import { type Agreement, type FixedLayout, type ZeroStage, agreement, makeSetup, simulatorGap, textTable, modelFromConfigJson, planToSpec, PRESET_IDS, preset, searchPlans, searchResultJson, shownPlans, formatSearch, describePlan, type PlanRequest, type PlannerModel, type PlanEstimate, type PlanSetup } from '../planner/index.js';
import { runSimulation } from '../parallel/simulation/run.js';
import { summarize } from './summary.js';
import { maxOf } from '../report/format.js';

export interface PlanIO {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

export const PLAN_USAGE = `Usage: autodist plan --model MODEL --gpus N --seq S --global-batch B [options]

  --model MODEL         ${PRESET_IDS.join(' | ')} | path/to/config.json (HF llama, mistral, qwen2, gpt2)
  --gpus N              GPUs in the cluster
  --gpu ID              h100 (default) | a100 | h200
  --seq S               tokens per sequence
  --global-batch B      sequences per optimizer step
  --gpus-per-node N     default 8
  --top N               rows of the table (default 10)
  --json FILE           write every plan that fits, the breakdowns and the failures as JSON ("-": stdout)
  --open N              simulate row N of the table in meta mode and print its summary
  --attention K         flash (default) | unfused (Megatron's core attention: stores the a·s² scores)
  --grad-dtype D        fp32 (default: Megatron's main grads) | bf16
  --logits-dtype D      fp32 (default) | bf16: what the cross-entropy keeps of the logits
  --no-overlap          the data-parallel gradient reduction does not overlap the backward
  --reserve GB          device memory kept free per GPU (default 5 % of it)
  --nvlink GBPS         NVLink bandwidth per GPU, GB/s each way (default: the GPU's)
  --nic GBPS            inter-node bandwidth per GPU, GB/s (default: the GPU's)
  --efficiency X        η: fraction of peak FLOP/s a large GEMM reaches before tile and wave
                        quantization (default: the GPU's — A100 0.75, H100/H200 0.705;
                        docs/gemm-efficiency.md)
  --tp-overlap K        backward (default: Megatron's async dX reductions) | all (Transformer
                        Engine userbuffers, with SP) | none: TP communication hidden behind GEMMs
  --swiglu K            unfused (default: SiLU, then the product, as HF / torchtitan) | fused (one
                        kernel keeping gate and up, Megatron's bias-SwiGLU fusion): SwiGLU models' MLP

Forced layout (evaluate exactly this layout, or search only what is not given):
  --tp T --pp P --dp D  tensor, pipeline, data parallel sizes (tp × cp × pp × dp = --gpus)
  --cp C                context parallel size (ring attention over the sequence; default 1)
  --vpp V               model chunks per pipeline rank (1: 1F1B; ≥ 2: interleaved)
  --mb M                micro-batch size (sequences)
  --sp on|off           sequence parallelism
  --recompute R         none | selective | full
  --recompute-layers N  with --recompute full: layers of each chunk recomputed (partial)
  --zero Z              ZeRO stage 0 | 1 | 2 | 3`;

class PlanUsageError extends Error {}

const LAYOUT_FLAGS = ['tp', 'pp', 'dp', 'cp', 'vpp', 'mb', 'sp', 'recompute', 'recompute-layers', 'zero'];
const VALUE_FLAGS = ['model', 'gpus', 'gpu', 'seq', 'global-batch', 'gpus-per-node', 'top', 'json', 'open', 'attention', 'grad-dtype', 'logits-dtype', 'reserve', 'nvlink', 'nic', 'efficiency', 'tp-overlap', 'swiglu', ...LAYOUT_FLAGS];
const BOOL_FLAGS = ['no-overlap', 'help'];

function parseFlags(argv: readonly string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  const args = argv[0] === 'plan' ? argv.slice(1) : [...argv];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new PlanUsageError(`unexpected argument "${a}" (options start with --, e.g. --model llama-3-70b)`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!VALUE_FLAGS.includes(name) && !BOOL_FLAGS.includes(name)) throw new PlanUsageError(`unknown option --${name}`);
    if (flags.has(name)) throw new PlanUsageError(`--${name} is given twice`);
    if (BOOL_FLAGS.includes(name)) {
      if (eq >= 0) throw new PlanUsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (eq >= 0) flags.set(name, a.slice(eq + 1));
    else {
      const v = args[++i];
      if (v === undefined || (v.startsWith('--') && v !== '-')) throw new PlanUsageError(`--${name} needs a value`);
      flags.set(name, v);
    }
  }
  return flags;
}

function num(flags: Map<string, string | true>, name: string, what: string, opts: { int?: boolean; required?: boolean } = {}): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) {
    if (opts.required) throw new PlanUsageError(`--${name} is required: ${what}`);
    return undefined;
  }
  const v = Number(raw);
  if (typeof raw !== 'string' || !(v > 0) || (opts.int && !Number.isInteger(v))) throw new PlanUsageError(`--${name} must be ${opts.int ? 'a whole number ≥ 1' : 'a positive number'} (${what}), got "${String(raw)}"`);
  return v;
}

function pick<T extends string>(flags: Map<string, string | true>, name: string, options: readonly T[]): T | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !options.includes(raw as T)) throw new PlanUsageError(`--${name} must be ${options.join(' or ')}, got "${String(raw)}"`);
  return raw as T;
}

function loadModel(arg: string): PlannerModel {
  const p = preset(arg);
  if (p) return p;
  if (!/\.json$/i.test(arg) && !existsSync(arg)) throw new PlanUsageError(`unknown model "${arg}": use one of ${PRESET_IDS.join(', ')}, or the path of an HF config.json`);
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (e) {
    throw new PlanUsageError(`cannot read ${arg}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PlanUsageError(`${arg} is not valid JSON: ${(e as Error).message}`);
  }
  return modelFromConfigJson(json, path.basename(path.dirname(path.resolve(arg))) || path.basename(arg));
}

function request(flags: Map<string, string | true>): PlanRequest {
  const model = flags.get('model');
  if (typeof model !== 'string') throw new PlanUsageError(`--model is required: ${PRESET_IDS.join(', ')} or path/to/config.json`);
  const gb = (n: number | undefined) => (n === undefined ? undefined : n * 1e9);
  return {
    model: loadModel(model),
    gpus: num(flags, 'gpus', 'GPUs in the cluster, e.g. --gpus 512', { int: true, required: true })!,
    seq: num(flags, 'seq', 'tokens per sequence, e.g. --seq 8192', { int: true, required: true })!,
    globalBatch: num(flags, 'global-batch', 'sequences per step, e.g. --global-batch 1024', { int: true, required: true })!,
    gpu: typeof flags.get('gpu') === 'string' ? (flags.get('gpu') as string) : 'h100',
    gpusPerNode: num(flags, 'gpus-per-node', 'e.g. --gpus-per-node 8', { int: true }),
    nvlinkBandwidth: gb(num(flags, 'nvlink', 'GB/s each way per GPU')),
    nicBandwidth: gb(num(flags, 'nic', 'GB/s per GPU')),
    computeEfficiency: num(flags, 'efficiency', 'in (0, 1]'),
    options: {
      attention: pick(flags, 'attention', ['flash', 'unfused'] as const),
      gradBytes: bytesOf(pick(flags, 'grad-dtype', ['fp32', 'bf16'] as const)),
      logitsBytes: bytesOf(pick(flags, 'logits-dtype', ['fp32', 'bf16'] as const)),
      overlapGradReduce: flags.has('no-overlap') ? false : undefined,
      tpOverlap: pick(flags, 'tp-overlap', ['none', 'backward', 'all'] as const),
      swiglu: pick(flags, 'swiglu', ['unfused', 'fused'] as const),
      reserveBytes: flags.has('reserve') ? reserveGB(flags) : undefined,
    },
  };
}

/** The layout flags given, as the dimensions the search holds fixed. */
function fixedLayout(flags: Map<string, string | true>): FixedLayout {
  const int = (name: string, what: string) => num(flags, name, what, { int: true });
  const zero = flags.get('zero');
  if (zero !== undefined && !['0', '1', '2', '3'].includes(String(zero))) throw new PlanUsageError(`--zero must be 0, 1, 2 or 3, got "${String(zero)}"`);
  const sp = pick(flags, 'sp', ['on', 'off'] as const);
  const f: FixedLayout = {
    tp: int('tp', 'tensor-parallel size, e.g. --tp 8'),
    pp: int('pp', 'pipeline-parallel size, e.g. --pp 16'),
    dp: int('dp', 'data-parallel size, e.g. --dp 128'),
    cp: int('cp', 'context-parallel size, e.g. --cp 2'),
    virtual: int('vpp', 'model chunks per pipeline rank, e.g. --vpp 2'),
    microBatch: int('mb', 'sequences per micro-batch, e.g. --mb 1'),
    sequenceParallel: sp === undefined ? undefined : sp === 'on',
    recompute: pick(flags, 'recompute', ['none', 'selective', 'full'] as const),
    recomputeLayers: int('recompute-layers', 'layers of each chunk recomputed, e.g. --recompute-layers 2'),
    zero: zero === undefined ? undefined : (Number(zero) as ZeroStage),
  };
  if (f.recomputeLayers !== undefined && f.recompute === undefined) throw new PlanUsageError('--recompute-layers needs --recompute full');
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as FixedLayout;
}

function bytesOf(d: 'fp32' | 'bf16' | undefined): 2 | 4 | undefined {
  return d === undefined ? undefined : d === 'fp32' ? 4 : 2;
}

function reserveGB(flags: Map<string, string | true>): number {
  const raw = flags.get('reserve');
  const v = Number(raw);
  if (typeof raw !== 'string' || !(v >= 0)) throw new PlanUsageError(`--reserve must be a number of GB ≥ 0, got "${String(raw)}"`);
  return v * 1e9;
}

/** `autodist plan`; returns the exit code (see the file comment). */
export async function planCommand(argv: string[], io: PlanIO): Promise<number> {
  let flags: Map<string, string | true>;
  let setup: PlanSetup;
  let top: number;
  let open: number | undefined;
  let fixed: FixedLayout;
  try {
    flags = parseFlags(argv);
    if (flags.has('help')) {
      io.stdout(PLAN_USAGE + '\n');
      return 0;
    }
    setup = makeSetup(request(flags));
    top = num(flags, 'top', 'rows of the table', { int: true }) ?? 10;
    open = num(flags, 'open', 'a row of the table, e.g. --open 1', { int: true });
    fixed = fixedLayout(flags);
  } catch (e) {
    if (e instanceof PlanUsageError || e instanceof SimError) {
      io.stderr(`autodist plan: ${e.message}\n\n${PLAN_USAGE}\n`);
      return 2;
    }
    throw e;
  }

  const result = searchPlans(setup, { fixed });
  const json = flags.get('json');
  const text = formatSearch(result, top);
  const out = json === '-' ? io.stderr : io.stdout;
  out(text + '\n');
  if (typeof json === 'string') {
    const data = JSON.stringify(searchResultJson(result, top), null, 2) + '\n';
    if (json === '-') io.stdout(data);
    else {
      mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
      writeFileSync(json, data);
      out(`wrote ${json}\n`);
    }
  }
  const shown = shownPlans(result, top);
  if (!shown.length) return 1;
  if (open === undefined) return 0;
  if (open > shown.length) {
    io.stderr(`autodist plan: --open ${open}, but the table has ${shown.length} row${shown.length === 1 ? '' : 's'}; use --open 1…${shown.length}\n`);
    return 2;
  }
  return openPlan(shown[open - 1], open, setup, out);
}

/** Simulate row `n` in meta mode and print its summary, then the planner's and the simulation's step time and peak memory side by side. */
async function openPlan(e: PlanEstimate, n: number, setup: PlanSetup, out: (s: string) => void): Promise<number> {
  const gap = simulatorGap(e.plan);
  if (gap) {
    out(`\n--open ${n}: ${gap}.\n`);
    return 0;
  }
  out(`\nSimulating #${n} in meta mode: ${describePlan(e.plan)} …\n`);
  const report = await runSimulation(planToSpec(e.plan, setup), { backend: 'meta (shapes only)' });
  out(summarize(report, { maxLedgerRows: 12, maxShardRows: 12 }) + '\n');
  if (report.errors.length) return 1;
  out('\n' + agreementLines(agreement(setup, e.plan, report), n).join('\n') + '\n');
  return 0;
}

/** The side-by-side table of --open (and the bench). */
export function agreementLines(a: Agreement, n: number): string[] {
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
  return [
    `Planner vs meta simulation (#${n}):`,
    textTable(
      ['', 'planner (this plan)', 'planner (TP collectives blocking)', 'meta simulation', 'simulation / planner'],
      [
        ['step time', fmtUs(a.planner.stepUs), fmtUs(a.tpBlocking.stepUs), fmtUs(a.simulator.stepUs), ratio(a.simulator.stepUs, a.equivalent.stepUs)],
        ['peak memory / GPU', gib(a.planner.peakBytes), gib(a.equivalent.peakBytes), gib(a.simulator.peakBytes), ratio(a.simulator.peakBytes, a.equivalent.peakBytes)],
      ],
      [false, true, true, true, true],
    ),
    '  The simulation runs the whole plan (recompute, Adam with fp32 main gradients, ZeRO, attention kernel, SP, stages; the DP',
    '  reductions and ZeRO gathers behind compute; Megatron\'s TP overlap in the backward: dX all-reduce / reduce-scatter behind the',
    '  weight-gradient GEMMs, SP\'s re-gather behind the dX GEMMs). "TP collectives blocking" is the planner with its TP overlap off:',
    '  what the overlap is worth. GEMMs and FlashAttention share one cost function each (src/planner/spec.ts).',
  ];
}
