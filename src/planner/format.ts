/**
 * The planner's text report: the setup, the ranked table with its memory and time breakdowns,
 * and why the other plans fail, grouped and counted. Pure string building.
 */
import { fmtCount, fmtUs } from '../report-html/units.js';
import { isUneven, stageLayerCount } from './layout.js';
import { describePlan, recomputeLabel, type ParallelPlan } from './plan.js';
import type { FixedLayout } from './search.js';
import { estimateTime } from './time.js';
import { bestPerLayout, type PlanEstimate, type SearchResult } from './search.js';

const GiB = 2 ** 30;
const gib = (b: number) => `${(b / GiB).toFixed(1)}`;
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Left-aligned text columns (right-aligned where `right[i]`), two spaces apart. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = [], indent = '  '): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => indent + cells.map((c, i) => (right[i] ? (c ?? '').padStart(w[i]) : (c ?? '').padEnd(w[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function scheduleLabel(p: ParallelPlan): string {
  return p.schedule === 'Interleaved1F1B' ? `interleaved v=${p.virtual}` : p.schedule;
}

/** The rows the table shows: the fastest plan of each layout, `top` of them. */
export function shownPlans(r: SearchResult, top: number): PlanEstimate[] {
  return bestPerLayout(r.ranked).slice(0, top);
}

function header(r: SearchResult): string[] {
  const { shape: m, cluster: c, options: o, seq, globalBatch: B } = r.setup;
  const hw = c.hardware;
  const tokens = B * seq;
  const stateBytes = 2 + o.gradBytes + 12;
  return [
    `AutoDist plan · ${r.setup.model.id}: ${fmtCount(m.totalParams)} parameters, ${m.layers} layers, h ${m.hidden}, ${m.heads} heads${m.kvHeads !== m.heads ? ` / ${m.kvHeads} kv` : ''}, F ${m.ffn}, V ${m.vocab}`,
    `Batch   seq ${seq} × global batch ${B} = ${fmtCount(tokens)} tokens per step`,
    `Cluster ${c.gpus} × ${hw.name} (${c.gpusPerNode} per node): ${(hw.peakFlops.bf16 / 1e12).toFixed(0)} TFLOP/s bf16, GEMMs at η ${hw.computeEfficiency} × tile/wave quantization of ${hw.sms} SMs, ${gib(hw.memoryBytes)} GiB, NVLink ${(hw.nvlinkBandwidth / 1e9).toFixed(0)} GB/s${hw.nvlinkEfficiency !== undefined && hw.nvlinkEfficiency < 1 ? ` (${((hw.nvlinkBandwidth * hw.nvlinkEfficiency) / 1e9).toFixed(0)} GB/s by NCCL)` : ''}, NIC ${(hw.nicBandwidth / 1e9).toFixed(0)} GB/s per GPU`,
    `Assumes ${o.attention === 'flash' ? 'FlashAttention (no s² activations)' : 'unfused attention (a·s² scores stored)'} · bf16 weights + ${o.gradBytes === 4 ? 'fp32' : 'bf16'} grads + Adam fp32 master/m/v = ${stateBytes} bytes/param before ZeRO · ${o.logitsBytes === 4 ? 'fp32' : 'bf16'} logits${m.gatedMlp ? ` · SwiGLU ${o.swiglu === 'fused' ? 'fused (gate and up kept)' : 'unfused (gate, SiLU output and up kept)'}` : ''} · DP reduction ${o.overlapGradReduce ? 'overlapped with the backward' : 'not overlapped'} · TP communication ${o.tpOverlap === 'none' ? 'not overlapped' : o.tpOverlap === 'all' ? 'overlapped with the GEMMs (TE userbuffers, with SP)' : 'overlapped in the backward (Megatron async dX)'} · ${gib(o.reserveBytes)} GiB kept free per GPU`,
  ];
}

function planRow(i: number, e: PlanEstimate, withCp: boolean): string[] {
  const p = e.plan;
  const mem = e.memory;
  return [
    String(i + 1),
    String(p.tp),
    ...(withCp ? [String(p.cp ?? 1)] : []),
    String(p.pp),
    String(p.dp),
    String(p.microBatch),
    scheduleLabel(p),
    p.sequenceParallel ? 'yes' : 'no',
    recomputeLabel(p),
    String(p.zero),
    `${gib(mem.peak.total)} GiB (${(100 * mem.marginFraction).toFixed(0)} % free)`,
    fmtUs(e.time.stepUs),
    int(e.time.tokensPerSecond),
    pct(e.time.mfu),
    pct(e.time.mfu6ND),
  ];
}

function breakdownRow(i: number, e: PlanEstimate): string[] {
  const s = e.memory.peak;
  const t = e.time;
  return [
    String(i + 1),
    `${s.stage}`,
    gib(s.weights),
    gib(s.gradients),
    gib(s.optimizer + s.gathered),
    gib(s.activations - s.logits),
    gib(s.logits),
    fmtUs(t.computeUs),
    fmtUs(t.kernelsUs),
    fmtUs(t.tpCommUs),
    fmtUs(t.p2pUs + t.cpCommUs + t.zero3Us),
    `${fmtUs(t.bubbleUs)} (${(100 * t.bubbleFraction).toFixed(1)} %)`,
    `${fmtUs(t.dpExposedUs)} / ${fmtUs(t.dpTotalUs)}`,
    fmtUs(t.optimizerUs),
  ];
}

/** Why the rest fail, grouped by kind and counted, the most common first. */
export function failureLines(r: SearchResult, reasonsPerGroup = 3): string[] {
  const failed = r.failures.reduce((a, g) => a + g.count, 0);
  if (failed === 0) return ['Every plan examined fits.'];
  const lines = [`Why the other ${int(failed)} plans do not work:`];
  for (const g of r.failures) {
    let detail: string;
    if (g.kind === 'oom' && g.closest && g.overRange) {
      detail = `short by ${gib(g.overRange[0])}–${gib(g.overRange[1])} GiB (${g.reasons.slice(0, reasonsPerGroup).map((x) => `${x.message} ×${int(x.count)}`).join(', ')}); closest: ${describePlan(g.closest.plan)}, OOM by ${gib(g.closest.overBytes)} GiB`;
    } else {
      const shown = g.reasons.slice(0, reasonsPerGroup).map((x) => `${x.message} ×${int(x.count)}`);
      const more = g.reasons.length - reasonsPerGroup;
      detail = shown.join(', ') + (more > 0 ? `, … ${more} more` : '');
    }
    lines.push(`  ${int(g.count).padStart(7)}  ${g.title}: ${detail}`);
  }
  return lines;
}

/** "tp=8 pp=16 dp=128 mb=1 SP=on recompute=none ZeRO-1": the dimensions held fixed. */
export function fixedLabel(f: FixedLayout): string {
  const parts: string[] = [];
  for (const [k, label] of [['tp', 'tp'], ['cp', 'cp'], ['pp', 'pp'], ['dp', 'dp'], ['virtual', 'v'], ['microBatch', 'mb']] as const) if (f[k] !== undefined) parts.push(`${label}=${f[k]}`);
  if (f.sequenceParallel !== undefined) parts.push(`SP ${f.sequenceParallel ? 'on' : 'off'}`);
  if (f.recompute !== undefined) parts.push(`recompute=${recomputeLabel({ recompute: f.recompute, recomputeLayers: f.recomputeLayers })}`);
  if (f.zero !== undefined) parts.push(`ZeRO-${f.zero}`);
  return parts.join(' ');
}

/** "stages 0 and 15 hold 7 layers, the others 8" when the layout is uneven, else undefined. */
export function layoutNote(r: SearchResult, p: ParallelPlan): string | undefined {
  const l = r.setup.shape.layers;
  if (!isUneven(l, p)) return undefined;
  const firstN = stageLayerCount(l, p, 0);
  const lastN = stageLayerCount(l, p, p.pp - 1);
  const mid = p.pp > 2 ? stageLayerCount(l, p, 1) : undefined;
  const others = mid ?? (firstN === lastN ? undefined : Math.max(firstN, lastN));
  const short = [0, p.pp - 1].filter((st, i) => (i === 0 ? firstN : lastN) !== others || others === undefined);
  const ends = short.length === 2 && firstN === lastN ? `stages 0 and ${p.pp - 1} hold ${firstN} layers` : short.map((st) => `stage ${st} holds ${st === 0 ? firstN : lastN} layers`).join(', ');
  return `uneven stages (Megatron's --decoder-first/last-pipeline-num-layers): ${ends}${others !== undefined ? `, the others ${others}` : ''}`;
}

/** The whole text report. */
export function formatSearch(r: SearchResult, top = 10): string {
  const shown = shownPlans(r, top);
  const fit = r.ranked.length;
  const out = [...header(r), ''];
  const held = fixedLabel(r.fixed);
  if (held) out.push(`Held fixed: ${held}${r.examined === 1 ? ' — exactly one plan' : ''}.`);
  out.push(`Searched ${int(r.examined)} plans in ${(r.wallMs / 1000).toFixed(2)} s: ${int(fit)} fit. Ranked by step time; each row is the fastest plan of its layout (tp, cp, pp, dp, micro-batch, schedule).`);
  if (r.capped) out.push(`The search stopped at its cap of ${int(r.examined)} plans; the rest were not examined. Hold some dimensions fixed (--tp, --pp, --mb …) to search them.`);
  if (!shown.length) {
    if (r.examined === 1 && r.failures.length === 1) {
      const g = r.failures[0];
      const why = g.kind === 'oom' && g.closest ? `out of memory by ${gib(g.closest.overBytes)} GiB per GPU` : g.reasons[0].message;
      out.push('', `This layout cannot run: ${why}.`);
      if (g.kind === 'oom' && g.closest) {
        const t = estimateTime(r.setup, g.closest.plan);
        out.push(`With the memory, a step would take ${fmtUs(t.stepUs)} (MFU ${pct(t.mfu)}).`);
      }
      return out.join('\n');
    }
    out.push('', r.examined === 0 ? 'No plan matches the fixed dimensions on this cluster (tp × cp × pp × dp must equal the GPU count).' : 'No plan fits.', ...failureLines(r));
    return out.join('\n');
  }
  const withCp = shown.some((e) => (e.plan.cp ?? 1) > 1);
  out.push(
    textTable(
      ['#', 'tp', ...(withCp ? ['cp'] : []), 'pp', 'dp', 'mb', 'schedule', 'SP', 'recompute', 'ZeRO', 'memory/GPU', 'step', 'tokens/s', 'MFU', 'MFU (6ND)'],
      shown.map((e, i) => planRow(i, e, withCp)),
      [true, true, ...(withCp ? [true] : []), true, true, true, false, false, false, true, true, true, true, true, true],
    ),
  );
  out.push('', 'Breakdowns (memory in GiB on the fullest stage; times per step: m × the slowest stage, then the pipeline bubble, the data-parallel reduction left after overlap / all of it, the optimizer):');
  out.push(
    textTable(
      ['#', 'stage', 'weights', 'grads', 'optim', 'activations', 'logits', 'matmuls', 'kernels', 'TP comm', 'p2p + CP + ZeRO-2/3', 'bubble', 'DP exposed / total', 'optimizer'],
      shown.map((e, i) => breakdownRow(i, e)),
      [true, true, true, true, true, true, true, true, true, true, true, true, true, true],
    ),
  );
  const best = shown[0];
  const note = layoutNote(r, best.plan);
  if (note) out.push('', `#1 lays its layers out in ${note}.`);
  const six = 6 * r.setup.shape.totalParams * r.setup.globalBatch * r.setup.seq;
  out.push(
    '',
    `6ND cross-check (#1): 6 × ${fmtCount(r.setup.shape.totalParams)} params × ${fmtCount(r.setup.globalBatch * r.setup.seq)} tokens = ${six.toExponential(2)} FLOP/step vs ${best.time.modelFlops.toExponential(2)} model FLOP/step ` +
      `(model FLOPs add attention's QKᵀ and ·V; 6ND also counts the embedding table as a matmul) → MFU ${pct(best.time.mfu6ND)} by 6ND, ${pct(best.time.mfu)} by model FLOPs.`,
  );
  out.push('', ...failureLines(r));
  return out.join('\n');
}
