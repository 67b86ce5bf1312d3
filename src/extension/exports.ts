/**
 * The run's report as files: a Perfetto / Chrome trace (one process, one thread per rank) and
 * the standalone HTML report.
 */
import type { Report } from '../report/types.js';

interface TraceEventJson {
  readonly name: string;
  readonly cat?: string;
  readonly ph: 'X' | 'M' | 'i';
  readonly ts?: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly s?: 't';
  readonly args?: Record<string, unknown>;
}

/** Chrome trace-event JSON (what ui.perfetto.dev and chrome://tracing open); times in µs. */
export function perfettoTrace(r: Report): { traceEvents: TraceEventJson[]; displayTimeUnit: 'ms'; metadata: Record<string, unknown> } {
  const ev: TraceEventJson[] = [{ name: 'process_name', ph: 'M', pid: 0, tid: 0, args: { name: `AutoDist ${r.model?.name ?? ''} on ${r.mesh.worldSize} ranks (${r.hardware.name})`.replace(/\s+/g, ' ') } }];
  for (let rank = 0; rank < r.mesh.worldSize; rank++) {
    const c = r.mesh.coords[rank] ?? {};
    const coords = r.mesh.axes.filter((_, i) => r.mesh.sizes[i] > 1).map((a) => `${a}${c[a]}`).join(' ');
    ev.push({ name: 'thread_name', ph: 'M', pid: 0, tid: rank, args: { name: `rank ${rank}${coords ? ` (${coords})` : ''}` } });
    ev.push({ name: 'thread_sort_index', ph: 'M', pid: 0, tid: rank, args: { sort_index: rank } });
  }
  const bySeq = new Map(r.collectives.map((c) => [c.seq, c]));
  for (const e of r.timeline.events) {
    const c = e.ledgerSeq !== undefined ? bySeq.get(e.ledgerSeq) : undefined;
    ev.push({
      name: e.kind === 'wait' ? `wait: ${e.name}` : e.name,
      cat: `${e.kind},${e.phase}`,
      ph: 'X',
      ts: e.startUs,
      dur: Math.max(0, e.endUs - e.startUs),
      pid: 0,
      tid: e.rank,
      args: {
        phase: e.phase,
        ...(e.module ? { module: e.module } : {}),
        ...(e.tag ? { tag: e.tag } : {}),
        ...(e.source ? { source: `${e.source.file}:${e.source.line}` } : {}),
        ...(c ? { bytes: c.bytes, sentBytesPerRank: c.sentBytesPerRank, algorithm: c.algorithm, group: c.group } : {}),
      },
    });
  }
  return { traceEvents: ev, displayTimeUnit: 'ms', metadata: { tool: 'autodist', version: r.tool.version, script: r.script, stepTimeUs: r.timeline.stepTimeUs, truncated: r.timeline.truncated } };
}
