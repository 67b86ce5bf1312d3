/**
 * "AutoDist: Plan Parallelism": asks for a model, a cluster and a batch, runs the planner's search
 * in a worker thread (off the extension host's event loop; the search caps what it examines and
 * says so), writes the ranked table and why the other plans fail to the "AutoDist Plans"
 * output channel (the same text as `autodist plan`), and simulates the plan the user picks in meta
 * mode, showing its report in the AutoDist panel. Bad input ends in an error message, never a throw.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { modelFromConfigJson, PRESET_IDS, recomputeLabel, scheduleLabel, simulatorGap, type PlanEstimate, type PlannerModel } from '../planner/index.js';
import { fmtUs } from '../report-html/units.js';
import type { Report } from '../report/types.js';
import type { PlanJob } from '../runner/protocol.js';
import { runPlanJob } from '../runner/plan-job.js';
import { searchInWorker, type PlanSearchJob, type PlanSearchOutput } from '../runner/plan-search.js';

/** The output channel's name (extension.ts creates it with the same literal, to stay light). */
export const PLAN_CHANNEL = 'AutoDist Plans';
/** Rows of the table and entries of the plan pick. */
export const PLAN_TOP = 10;
export const PLAN_DEFAULTS = { gpus: 512, gpu: 'h100', seq: 8192, globalBatch: 1024 } as const;
const GPU_PRESETS: readonly { readonly label: string; readonly description: string }[] = [
  { label: 'h100', description: 'NVIDIA H100 SXM5 80 GB' },
  { label: 'a100', description: 'NVIDIA A100 80 GB' },
  { label: 'h200', description: 'NVIDIA H200 141 GB' },
];
const HF_CONFIG = 'HF config.json…';

export interface PlanCommandDeps {
  /** The output channel "AutoDist Plans" (created once, owned by the extension). */
  readonly channel: Pick<vscode.OutputChannel, 'clear' | 'appendLine' | 'show'>;
  /** Shows a report in the AutoDist panel as a finished run called `name`. */
  readonly showReport: (name: string, report: Report) => void;
  /**
   * Simulates a plan in meta mode off the extension host's event loop (a worker thread);
   * defaults to doing it in this thread (tests).
   */
  readonly simulate?: (name: string, job: PlanJob) => Promise<Report>;
  /** Runs the planner's search; defaults to a worker thread (runner/plan-search.ts). */
  readonly search?: (job: PlanSearchJob) => Promise<PlanSearchOutput>;
  /** Shows simulated plans side by side (the panel's Compare tab); without it the pick offers no comparison. */
  readonly compare?: (runs: readonly { readonly name: string; readonly report: Report }[]) => void | Promise<void>;
}

/** Plans the "compare the top" entry of the pick simulates. */
export const PLAN_COMPARE_TOP = 3;

/** The plan simulated in this thread (the fallback when no worker is given). */
const simulateHere = (_name: string, job: PlanJob): Promise<Report> => runPlanJob(job);

/** Thrown for input the user has to change; shown as an error message. */
class PlanInputError extends Error {}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** "#1 tp=4 pp=4 dp=32 mb=1 interleaved v=4 · 13.8 s · 70.7 GiB" */
export function planLabel(e: PlanEstimate, i: number): string {
  const p = e.plan;
  return `#${i + 1} tp=${p.tp}${(p.cp ?? 1) > 1 ? ` cp=${p.cp}` : ''} pp=${p.pp} dp=${p.dp} mb=${p.microBatch} ${scheduleLabel(p)} · ${fmtUs(e.time.stepUs)} · ${(e.memory.peak.total / 2 ** 30).toFixed(1)} GiB`;
}

function validateCount(what: string) {
  return (v: string): string | undefined => {
    const n = Number(v.trim());
    return v.trim() !== '' && Number.isInteger(n) && n >= 1 ? undefined : `${what} must be a whole number ≥ 1`;
  };
}

/** The most GPUs the command plans for (the search is capped anyway; this keeps the input sane). */
export const MAX_GPUS = 1 << 20;

/** The GPU count: a whole number ≥ 1, at most MAX_GPUS, filling whole nodes of 8 when above 8. */
export function validateGpuCount(v: string): string | undefined {
  const bad = validateCount('GPU count')(v);
  if (bad) return bad;
  const n = Number(v.trim());
  if (n > MAX_GPUS) return `GPU count must be at most ${MAX_GPUS.toLocaleString('en-US')}`;
  if (n > 8 && n % 8 !== 0) return `${n} GPUs do not fill whole nodes of 8: use a multiple of 8`;
  return undefined;
}

/** An InputBox for a whole number ≥ 1; undefined when dismissed. */
async function askCount(title: string, prompt: string, def: number, validate = validateCount(title)): Promise<number | undefined> {
  const raw = await vscode.window.showInputBox({ title: `AutoDist: ${title}`, prompt, value: String(def), validateInput: validate, ignoreFocusOut: true });
  if (raw === undefined) return undefined;
  const bad = validate(raw);
  if (bad) throw new PlanInputError(`${bad}, got "${raw}"`);
  return Number(raw.trim());
}

async function askModel(): Promise<{ planner: string | PlannerModel; job: PlanJob['model'] } | undefined> {
  const items: (vscode.QuickPickItem & { readonly model?: string })[] = [...PRESET_IDS.map((id) => ({ label: id, model: id })), { label: HF_CONFIG, description: 'llama, mistral, qwen2 or gpt2' }];
  const pick = await vscode.window.showQuickPick(items, { title: 'AutoDist: Plan Parallelism — model', placeHolder: 'Model to plan for', ignoreFocusOut: true });
  if (!pick) return undefined;
  if (pick.model) return { planner: pick.model, job: pick.model };
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'HF config': ['json'] }, openLabel: 'Plan for this model' });
  const uri = files?.[0];
  if (!uri) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8'));
  } catch (e) {
    throw new PlanInputError(`cannot read ${uri.fsPath} as JSON: ${messageOf(e)}`);
  }
  const name = path.basename(path.dirname(uri.fsPath)) || path.basename(uri.fsPath);
  return { planner: modelFromConfigJson(json, name), job: { config: json, name } };
}

/** The command. Resolves when done; never rejects. */
export async function planParallelism(deps: PlanCommandDeps): Promise<void> {
  try {
    await run(deps);
  } catch (e) {
    void vscode.window.showErrorMessage(`AutoDist: ${messageOf(e)}`);
  }
}

async function run(deps: PlanCommandDeps): Promise<void> {
  const model = await askModel();
  if (model === undefined) return;
  const gpus = await askCount('GPU count', 'GPUs in the cluster (whole nodes of 8)', PLAN_DEFAULTS.gpus, validateGpuCount);
  if (gpus === undefined) return;
  const gpu = await vscode.window.showQuickPick([...GPU_PRESETS], { title: 'AutoDist: GPU preset', placeHolder: 'GPU of the cluster', ignoreFocusOut: true });
  if (!gpu) return;
  const seq = await askCount('Sequence length', 'Tokens per sequence', PLAN_DEFAULTS.seq);
  if (seq === undefined) return;
  const globalBatch = await askCount('Global batch', 'Sequences per optimizer step', PLAN_DEFAULTS.globalBatch);
  if (globalBatch === undefined) return;

  let result: PlanSearchOutput;
  try {
    const job: PlanSearchJob = { model: model.job, gpus, gpu: gpu.label, seq, globalBatch, top: PLAN_TOP };
    result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AutoDist: planning ${typeof model.job === 'string' ? model.job : model.job.name} on ${gpus} × ${gpu.label}`, cancellable: false }, () =>
      (deps.search ?? searchInWorker)(job),
    );
  } catch (e) {
    throw new PlanInputError(messageOf(e));
  }
  deps.channel.clear();
  deps.channel.appendLine(result.text);
  deps.channel.show(true);

  const shown = result.shown;
  if (!shown.length) {
    void vscode.window.showWarningMessage(`AutoDist: no plan fits ${result.modelId} on ${gpus} × ${gpu.label}; the "${PLAN_CHANNEL}" output says why.`);
    return;
  }
  const items: (vscode.QuickPickItem & { readonly index: number })[] = shown.map((e, i) => ({ label: planLabel(e, i), description: `${e.plan.sequenceParallel ? 'SP · ' : ''}recompute=${recomputeLabel(e.plan)} · ZeRO-${e.plan.zero}`, index: i }));
  const top = Math.min(PLAN_COMPARE_TOP, shown.length);
  if (deps.compare && top > 1) items.push({ label: `$(split-horizontal) Compare the top ${top} side by side`, description: 'each simulated in meta mode, then shown in the Compare tab', index: -1 });
  const pick = await vscode.window.showQuickPick(items, { title: `AutoDist: plans for ${result.modelId} — pick one to simulate in meta mode`, ignoreFocusOut: true });
  if (!pick) return;
  if (pick.index < 0 && deps.compare) {
    const runs: { name: string; report: Report }[] = [];
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AutoDist: simulating the top ${top} plans (meta mode)`, cancellable: false }, async () => {
      for (let i = 0; i < top; i++) {
        const name = `plan #${i + 1}: ${result.modelId}`;
        runs.push({ name, report: await (deps.simulate ?? simulateHere)(name, { model: model.job, gpus, gpu: gpu.label, seq, globalBatch, plan: shown[i].plan }) });
      }
    });
    await deps.compare(runs);
    return;
  }
  const chosen = shown[pick.index];
  const gap = simulatorGap(chosen.plan);
  if (gap) {
    void vscode.window.showInformationMessage(`AutoDist: ${gap}.`);
    return;
  }
  const name = `plan #${pick.index + 1}: ${result.modelId}`;
  const job: PlanJob = { model: model.job, gpus, gpu: gpu.label, seq, globalBatch, plan: chosen.plan };
  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AutoDist: simulating ${name} (meta mode)`, cancellable: false }, () =>
    (deps.simulate ?? simulateHere)(name, job),
  );
  deps.showReport(name, report);
}
