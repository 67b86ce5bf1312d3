/**
 * The planner's text report: the setup, the ranked table with its memory and time breakdowns,
 * and why the other plans fail, grouped and counted. Pure string building.
 */
import { fmtCount, fmtUs } from '../report-html/units.js';
import { describePlan, type ParallelPlan } from './plan.js';
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
    `Cluster ${c.gpus} × ${hw.name} (${c.gpusPerNode} per node): ${(hw.peakFlops.bf16 / 1e12).toFixed(0)} TFLOP/s bf16 × ${hw.computeEfficiency} matmul efficiency, ${gib(hw.memoryBytes)} GiB, NVLink ${(hw.nvlinkBandwidth / 1e9).toFixed(0)} GB/s, NIC ${(hw.nicBandwidth / 1e9).toFixed(0)} GB/s per GPU`,
    `Assumes ${o.attention === 'flash' ? 'FlashAttention (no s² activations)' : 'unfused attention (a·s² scores stored)'} · bf16 weights + ${o.gradBytes === 4 ? 'fp32' : 'bf16'} grads + Adam fp32 master/m/v = ${stateBytes} bytes/param before ZeRO · ${o.logitsBytes === 4 ? 'fp32' : 'bf16'} logits · DP reduction ${o.overlapGradReduce ? 'overlapped with the backward' : 'not overlapped'} · ${gib(o.reserveBytes)} GiB kept free per GPU`,
  ];
}

function planRow(i: number, e: PlanEstimate): string[] {
  const p = e.plan;
  const mem = e.memory;
  return [
    String(i + 1),
    String(p.tp),
    String(p.pp),
    String(p.dp),
    String(p.microBatch),
    scheduleLabel(p),
    p.sequenceParallel ? 'yes' : 'no',
    p.recompute,
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
    fmtUs(t.p2pUs + t.zero3Us),
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

/** The whole text report. */
export function formatSearch(r: SearchResult, top = 10): string {
  const shown = shownPlans(r, top);
  const fit = r.ranked.length;
  const out = [...header(r), ''];
  out.push(`Searched ${int(r.examined)} plans in ${(r.wallMs / 1000).toFixed(2)} s: ${int(fit)} fit. Ranked by step time; each row is the fastest plan of its layout (tp, pp, dp, micro-batch, schedule).`);
  if (!shown.length) {
    out.push('', 'No plan fits.', ...failureLines(r));
    return out.join('\n');
  }
  out.push(
    textTable(
      ['#', 'tp', 'pp', 'dp', 'mb', 'schedule', 'SP', 'recompute', 'ZeRO', 'memory/GPU', 'step', 'tokens/s', 'MFU', 'MFU (6ND)'],
      shown.map((e, i) => planRow(i, e)),
      [true, true, true, true, true, false, false, false, true, true, true, true, true, true],
    ),
  );
  out.push('', 'Breakdowns (memory in GiB on the fullest stage; times per step: m × the slowest stage, then the pipeline bubble, the data-parallel reduction left after overlap / all of it, the optimizer):');
  out.push(
    textTable(
      ['#', 'stage', 'weights', 'grads', 'optim', 'activations', 'logits', 'matmuls', 'kernels', 'TP comm', 'p2p + ZeRO-3', 'bubble', 'DP exposed / total', 'optimizer'],
      shown.map((e, i) => breakdownRow(i, e)),
      [true, true, true, true, true, true, true, true, true, true, true, true, true, true],
    ),
  );
  const best = shown[0];
  const six = 6 * r.setup.shape.totalParams * r.setup.globalBatch * r.setup.seq;
  out.push(
    '',
    `6ND cross-check (#1): 6 × ${fmtCount(r.setup.shape.totalParams)} params × ${fmtCount(r.setup.globalBatch * r.setup.seq)} tokens = ${six.toExponential(2)} FLOP/step vs ${best.time.modelFlops.toExponential(2)} model FLOP/step ` +
      `(model FLOPs add attention's QKᵀ and ·V; 6ND also counts the embedding table as a matmul) → MFU ${pct(best.time.mfu6ND)} by 6ND, ${pct(best.time.mfu)} by model FLOPs.`,
  );
  out.push('', ...failureLines(r));
  return out.join('\n');
}
