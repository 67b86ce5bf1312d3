import type { Report, TimelineEvent } from '../report/types.js';

/**
 * A report's timeline in the Chrome trace-event format (JSON object form), which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open:
 *   one process per rank (pid = rank, named "rank N (dp=…, pp=…, tp=…)"), with three threads:
 *   tid 1 compute, tid 2 communication, tid 3 waiting for peers;
 *   complete events ("X", µs) for every timeline event, args = module, shapes, line, ledger seq;
 *   flow events ("s" → "f", bound to the enclosing slices) from each send to its receive and
 *   chaining the members of each collective, in group order, one flow per ledger entry hop.
 */
export interface ChromeTrace {
  readonly traceEvents: ChromeEvent[];
  readonly displayTimeUnit: 'ms';
  readonly otherData: Record<string, string | number | boolean>;
}

export interface ChromeEvent {
  readonly name: string;
  readonly ph: 'X' | 'M' | 's' | 'f';
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: number;
  readonly bp?: 'e';
  readonly args?: Record<string, unknown>;
}

export const TID = { compute: 1, comm: 2, wait: 3 } as const;

export function chromeTrace(r: Report): ChromeTrace {
  const ev: ChromeEvent[] = [];
  for (let rank = 0; rank < r.mesh.worldSize; rank++) {
    ev.push({ name: 'process_name', ph: 'M', pid: rank, tid: 0, args: { name: rankName(r, rank) } });
    ev.push({ name: 'process_sort_index', ph: 'M', pid: rank, tid: 0, args: { sort_index: rank } });
    ev.push({ name: 'thread_name', ph: 'M', pid: rank, tid: TID.compute, args: { name: 'compute' } });
    ev.push({ name: 'thread_name', ph: 'M', pid: rank, tid: TID.comm, args: { name: 'communication' } });
    ev.push({ name: 'thread_name', ph: 'M', pid: rank, tid: TID.wait, args: { name: 'waiting for peers' } });
  }
  const bySeq = new Map<number, TimelineEvent[]>();
  for (const e of r.timeline.events) {
    const args: Record<string, unknown> = { phase: e.phase };
    if (e.module) args.module = e.module;
    if (e.tag) args.tag = e.tag;
    if (e.source) args.source = `${e.source.file}:${e.source.line}:${e.source.column}`;
    if (e.ledgerSeq !== undefined) args.ledgerSeq = e.ledgerSeq;
    ev.push({ name: e.name, ph: 'X', pid: e.rank, tid: TID[e.kind], ts: e.startUs, dur: Math.max(0, e.endUs - e.startUs), cat: `${e.kind},${e.phase}`, args });
    if (e.kind === 'comm' && e.ledgerSeq !== undefined) {
      const list = bySeq.get(e.ledgerSeq) ?? [];
      list.push(e);
      bySeq.set(e.ledgerSeq, list);
    }
  }
  let flowId = 1;
  for (const c of r.collectives) {
    const events = bySeq.get(c.seq);
    if (!events) continue;
    const at = (rank: number) => events.find((e) => e.rank === rank);
    const name = `${c.op} #${c.seq}`;
    for (let i = 0; i + 1 < c.ranks.length; i++) {
      const from = at(c.ranks[i]);
      const to = at(c.ranks[i + 1]);
      if (!from || !to) continue;
      const id = flowId++;
      ev.push({ name, ph: 's', id, pid: from.rank, tid: TID.comm, ts: mid(from), cat: 'flow' });
      ev.push({ name, ph: 'f', bp: 'e', id, pid: to.rank, tid: TID.comm, ts: mid(to), cat: 'flow' });
    }
  }
  return {
    traceEvents: ev,
    displayTimeUnit: 'ms',
    otherData: {
      tool: `autodist ${r.tool.version}`,
      script: r.script ?? '',
      mode: r.mode,
      hardware: r.hardware.name,
      stepTimeUs: r.timeline.stepTimeUs,
      truncated: r.timeline.truncated,
    },
  };
}

function mid(e: TimelineEvent): number {
  return e.startUs + Math.max(0, e.endUs - e.startUs) / 2;
}

/** "rank 5 (dp=1, pp=0, tp=1)" — dp, pp, tp first, then any other axis. */
export function rankName(r: Report, rank: number): string {
  const c = r.mesh.coords[rank] ?? {};
  const order = ['dp', 'pp', 'tp', ...r.mesh.axes.filter((a) => !['dp', 'pp', 'tp'].includes(a))];
  const parts = order.filter((a) => a in c).map((a) => `${a}=${c[a]}`);
  return `rank ${rank}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
