/**
 * Why a script's run can stop without any rank throwing, and what the worker says about it.
 * A worker thread otherwise just ends — "exited (code 0) without a report" — when:
 *   - a rank awaits a promise that never settles and nothing else is left to run (the event
 *     loop runs dry: process 'beforeExit'),
 *   - the script calls process.exit() (replaced here: it throws at the person's line),
 *   - an error is thrown in a timer or callback, outside every rank's await ('uncaughtException'),
 *   - a promise rejects with nothing awaiting it, e.g. a collective called without `await`
 *     ('unhandledRejection').
 * Each becomes a StopRequest: the run stops, lists every rank still in it (waiting in which
 * collective at which line, or the last line it ran), and returns the report with everything
 * recorded so far.
 */
import { SimError, StopRequest, type RankSite } from '../core/errors.js';
import { AbortedError } from '../core/context.js';
import { describeThrown } from '../core/simulate.js';
import { basename } from '../report/format.js';
import { userFrame } from './errors.js';

/** The error process.exit() throws in a script (core/simulate.ts names it by `name`). */
export class ProcessExit extends Error {
  constructor(call: string) {
    super(call);
    this.name = 'ProcessExit';
  }
}

/** "rank 0" / "ranks 0, 2" */
function who(ranks: readonly RankSite[]): string {
  return ranks.length === 1 ? `rank ${ranks[0].rank}` : `ranks ${ranks.map((r) => r.rank).join(', ')}`;
}

function waiting(ranks: readonly RankSite[]): RankSite[] {
  return ranks.filter((r) => r.detail.startsWith('waits in'));
}

/** The event loop ran dry while ranks were still in the run. */
export function stalled(): StopRequest {
  return new StopRequest('stalled', (ranks) => {
    const stuck = ranks.filter((r) => !r.detail.startsWith('waits in'));
    const wait = waiting(ranks);
    const at = stuck.find((r) => r.source)?.source;
    const head = stuck.length
      ? `${who(stuck)} ${stuck.length === 1 ? 'awaits' : 'await'} a promise that never settles${at ? ` (after ${basename(at.file)}:${at.line})` : ''}`
      : 'the run can make no progress';
    return wait.length ? `${head}, while ${who(wait)} ${wait.length === 1 ? 'waits' : 'wait'} in a collective for ${stuck.length === 1 ? 'it' : 'them'}` : head;
  }, 'every promise a rank awaits must settle: look for a new Promise whose resolve is never called, or an await on something that is never fulfilled');
}

/** An exception thrown outside every rank's await (a timer, a callback). */
export function uncaught(e: unknown): StopRequest | null {
  if (e instanceof AbortedError || e instanceof SimError) return null; // the run's own stop or error, already recorded
  if (!(e instanceof Error)) {
    return new StopRequest('user-exception', `the script threw ${describeThrown(e)} in a timer or callback, outside every rank's program`, 'throw new Error("...") inside the rank\'s program (await the work there) so that the report can point at the line');
  }
  const source = userFrame(e);
  if (e instanceof ProcessExit) {
    return new StopRequest('user-exception', `the script called ${e.message} in a timer or callback, which would end every rank's process`, "a rank's program ends by returning from it; to stop the run with an error, throw new Error(\"...\") in the program", source);
  }
  return new StopRequest('user-exception', `an error was thrown in a timer or callback, outside every rank's program: ${e.name}: ${e.message.split('\n')[0]}`, "a throw in a setTimeout or event callback reaches no rank: do the work in the rank's program and await it there", source);
}

/** A promise rejected and nothing awaited it. */
export function unhandled(e: unknown): StopRequest | null {
  if (e instanceof AbortedError) return null;
  if (e instanceof SimError) return null; // the run's own error, already recorded where it happened
  if (!(e instanceof Error)) return new StopRequest('user-exception', `a promise rejected with ${describeThrown(e)} and nothing awaited it — a missing await?`, 'await every promise a rank starts (collectives too), inside its program');
  const source = userFrame(e);
  return new StopRequest('user-exception', `a promise rejected and nothing awaited it — a missing await? ${e.name}: ${e.message.split('\n')[0]}`, 'await every promise a rank starts (collectives too), inside its program', source);
}

/**
 * Make process.exit / process.abort / process.kill of this process throw at the caller's line
 * instead of ending the thread (or, for kill, the whole command). For worker threads only.
 */
export function guardProcess(): void {
  const p = process as unknown as Record<string, unknown>;
  p.exit = (code?: unknown) => {
    throw new ProcessExit(`process.exit(${code === undefined ? '' : String(code)})`);
  };
  p.abort = () => {
    throw new ProcessExit('process.abort()');
  };
  const kill = process.kill.bind(process);
  p.kill = (pid: number, signal?: string | number) => {
    if (pid === process.pid || pid === 0) throw new ProcessExit(`process.kill(${pid === 0 ? 0 : 'process.pid'}${signal === undefined ? '' : `, ${JSON.stringify(signal)}`})`);
    return kill(pid, signal);
  };
}
