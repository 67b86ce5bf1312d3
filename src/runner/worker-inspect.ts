/**
 * Where a worker thread that does not answer is stuck: a loop of the person's own that never
 * calls AutoDist nor awaits cannot stop itself (its timers never run), so at the hard time
 * limit the parent pauses it through the inspector (the NodeWorker domain of this thread's own
 * session), reads the paused stack — the line of the loop — and asks it to post the events it
 * has queued (WORKER_FLUSH), before terminating it. Best effort: no inspector (or no answer
 * within `waitMs`) gives null, and the caller stops the thread as before.
 */
import { Session } from 'node:inspector';
import type { Worker } from 'node:worker_threads';
import { stackLineLocation } from '../core/source.js';

/** The global the worker sets: a function that posts its queued events at once. */
export const WORKER_FLUSH = Symbol.for('autodist.worker.flush');

export interface PausedAt {
  /** The paused stack, innermost first: file path (or URL), 1-based line and column. */
  readonly frames: readonly { readonly file: string; readonly line: number; readonly column: number }[];
  /** The rank whose code runs there, when the paused frame has a `rank` in scope. */
  readonly rank?: number;
}

interface CallFrame {
  readonly callFrameId: string;
  readonly url: string;
  readonly location: { readonly scriptId: string; readonly lineNumber: number; readonly columnNumber?: number };
}

const RANK_EXPR = `(() => { try { if (typeof rank === 'number') return rank; if (typeof rank === 'object' && rank && typeof rank.rank === 'number') return rank.rank; } catch {} return undefined; })()`;

/** "at f (file:12:3)" lines of a V8 stack as frames (the path may hold any character, spaces too). */
export function stackFrames(stack: string): { file: string; line: number; column: number }[] {
  const out: { file: string; line: number; column: number }[] = [];
  for (const raw of stack.split('\n').slice(1)) {
    const at = stackLineLocation(raw);
    if (at) out.push(at);
  }
  return out;
}

function fileOf(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return decodeURIComponent(url.slice('file://'.length));
  } catch {
    return url.slice('file://'.length);
  }
}

export async function pauseAndLocate(worker: Worker, waitMs = 1500): Promise<PausedAt | null> {
  let session: Session;
  try {
    session = new Session();
    session.connect();
  } catch {
    return null;
  }
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let release = async () => {};
  try {
    const work = new Promise<PausedAt | null>((resolve) => {
      let id = 0;
      const pending = new Map<number, (r: { result?: unknown; error?: unknown }) => void>();
      let sessionId = '';
      release = async () => {
        // never leave the thread paused (a paused thread cannot be terminated): resume, detach
        if (!sessionId) return;
        const raw = (method: string) => post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: 1e9 + Math.random(), method }) }).catch(() => undefined);
        await raw('Debugger.resume');
        await raw('Debugger.disable');
        await post('NodeWorker.detach', { sessionId }).catch(() => undefined);
      };
      const urls = new Map<string, string>();
      const send = (method: string, params: object = {}) =>
        new Promise<{ result?: unknown; error?: unknown }>((res) => {
          const n = ++id;
          pending.set(n, res);
          void post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: n, method, params }) }).catch(() => resolve(null));
        });
      session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { sessionId: string; message: string } }) => {
        if (m.params.sessionId !== sessionId) return;
        const msg = JSON.parse(m.params.message) as { id?: number; method?: string; params?: { callFrames?: CallFrame[]; scriptId?: string; url?: string }; result?: unknown; error?: unknown };
        if (msg.id !== undefined) pending.get(msg.id)?.(msg);
        if (msg.method === 'Debugger.scriptParsed' && msg.params?.scriptId && msg.params.url) urls.set(msg.params.scriptId, msg.params.url);
        if (msg.method === 'Debugger.paused') void located(msg.params?.callFrames ?? []);
      });
      const located = async (callFrames: CallFrame[]) => {
        // (CallFrame.url is deprecated and empty: a frame's script is named by Debugger.scriptParsed)
        const frames: { file: string; line: number; column: number }[] = callFrames
          .map((f) => ({ f, url: f.url || urls.get(f.location.scriptId) || '' }))
          .filter(({ url }) => url)
          .map(({ f, url }) => ({ file: fileOf(url), line: f.location.lineNumber + 1, column: (f.location.columnNumber ?? 0) + 1 }));
        let rank: number | undefined;
        const top = callFrames[0];
        if (top) {
          // the paused stack as V8 writes it (frames of scripts the inspector names without a URL too)
          const st = (await send('Debugger.evaluateOnCallFrame', { callFrameId: top.callFrameId, expression: 'new Error().stack', returnByValue: true })).result as { result?: { value?: unknown } } | undefined;
          if (typeof st?.result?.value === 'string') frames.push(...stackFrames(st.result.value));
          const r = (await send('Debugger.evaluateOnCallFrame', { callFrameId: top.callFrameId, expression: RANK_EXPR, returnByValue: true })).result as { result?: { value?: unknown } } | undefined;
          if (typeof r?.result?.value === 'number') rank = r.result.value;
          await send('Debugger.evaluateOnCallFrame', { callFrameId: top.callFrameId, expression: `globalThis[Symbol.for('autodist.worker.flush')]?.()` });
        }
        // a thread paused in the debugger cannot be terminated: let it run on (to its end)
        await send('Debugger.disable');
        resolve({ frames, rank });
      };
      session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string; workerInfo: { workerId: string } } }) => {
        if (Number(m.params.workerInfo.workerId) !== worker.threadId) return;
        sessionId = m.params.sessionId;
        void send('Debugger.enable').then(() => send('Debugger.pause'));
      });
      void post('NodeWorker.enable', { waitForDebuggerOnStart: false }).catch(() => resolve(null));
    });
    const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), waitMs)));
    return await Promise.race([work, timeout]);
  } catch {
    return null;
  } finally {
    if (timer) clearTimeout(timer);
    await release();
    try {
      session.disconnect();
    } catch {
      // already gone
    }
  }
}
