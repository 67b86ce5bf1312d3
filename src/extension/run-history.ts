/**
 * The workspace's last runs, kept in the extension's workspace storage (a Memento: it survives a
 * reload of the window), newest first and bounded. Each keeps the run's summary (what the
 * Compare tab needs), not its report: a folded meta run's report holds millions of entries.
 */
import type { HistoryEntry } from '../protocol.js';
import { summarizeRun } from '../report/compare.js';
import type { Report } from '../report/types.js';

/** The part of vscode.Memento the history uses (tests give a map). */
export interface HistoryStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

export const HISTORY_KEY = 'autodist.runHistory.v1';
export const HISTORY_MAX = 20;

export class RunHistory {
  private seq = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: HistoryStore,
    private readonly max = HISTORY_MAX,
  ) {}

  /** Newest first. */
  entries(): readonly HistoryEntry[] {
    const v = this.store.get<HistoryEntry[]>(HISTORY_KEY);
    return Array.isArray(v) ? v : [];
  }

  /** Resolves once every add so far is stored. */
  get settled(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  /** Keeps a finished run (dropping the oldest past the bound); returns its entry. Adds are stored in order, none lost. */
  add(name: string, report: Report, finishedAt = Date.now()): Promise<HistoryEntry> {
    const entry: HistoryEntry = { key: `${finishedAt.toString(36)}-${(this.seq++).toString(36)}`, name, finishedAt, summary: summarizeRun(report) };
    const done = this.chain.then(() => this.store.update(HISTORY_KEY, [entry, ...this.entries()].slice(0, this.max))).then(() => entry);
    this.chain = done.catch(() => undefined);
    return done;
  }

  async clear(): Promise<void> {
    await this.store.update(HISTORY_KEY, []);
  }
}

/** A history store in memory (when the host gives no workspace storage). */
export function memoryStore(): HistoryStore {
  const m = new Map<string, unknown>();
  return {
    get: <T>(k: string) => m.get(k) as T | undefined,
    update: async (k: string, v: unknown) => void m.set(k, v),
  };
}
