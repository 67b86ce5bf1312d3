/**
 * Keeps per-line facts attached to the lines they were recorded at while the person edits:
 * lines below an edit move with it, and a line whose text changed loses its facts. No `vscode`
 * here; `hint-store.ts` feeds it the editor's change events.
 *
 * Each entry remembers the line's text as the run saw it. An edit moves the entry's candidate
 * positions (an edited range's first line may stay where it is, its last line may move down
 * with the inserted text); `settle` then keeps the candidate whose current text is still the
 * remembered one, and drops the entry when none is.
 */
export interface LineChange {
  /** 0-based first and last line of the replaced range (before the change). */
  readonly startLine: number;
  readonly endLine: number;
  /** The inserted text. */
  readonly text: string;
}

interface Entry<T> {
  readonly origLine: number;
  readonly text: string;
  readonly value: T;
  candidates: number[];
}

const newlines = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
};

/** Strips the line ending and trailing blanks, so CRLF and trailing-space edits compare equal. */
const norm = (s: string): string => s.replace(/\s+$/, '');

export class LineTracker<T> {
  private entries: Entry<T>[];

  /** `line` 0-based, `text` the line's text when the facts were recorded. */
  constructor(items: readonly { readonly line: number; readonly text: string; readonly value: T }[]) {
    this.entries = items.map((i) => ({ origLine: i.line, text: norm(i.text), value: i.value, candidates: [i.line] }));
  }

  /** Apply one edit (in the order the editor reports them). */
  applyChange(c: LineChange): void {
    const added = newlines(c.text);
    const delta = added - (c.endLine - c.startLine);
    for (const e of this.entries) {
      const next: number[] = [];
      for (const l of e.candidates) {
        if (l < c.startLine) next.push(l);
        else if (l > c.endLine) next.push(l + delta);
        else {
          // inside the edited range: only its first line (text inserted after it) or its last
          // line (text inserted before it) can survive unchanged
          if (l === c.startLine) next.push(l);
          if (l === c.endLine) next.push(c.startLine + added);
        }
      }
      e.candidates = [...new Set(next)];
    }
  }

  /** Keep, for each entry, the candidate line whose text is unchanged; drop entries with none. */
  settle(lineText: (line: number) => string | undefined): void {
    this.entries = this.entries.filter((e) => {
      const ok = e.candidates.find((l) => {
        const t = lineText(l);
        return t !== undefined && norm(t) === e.text;
      });
      e.candidates = ok === undefined ? [] : [ok];
      return ok !== undefined;
    });
  }

  /** The current 0-based line of the facts recorded at `origLine`, if they are still valid. */
  currentLine(origLine: number): number | undefined {
    return this.entries.find((e) => e.origLine === origLine)?.candidates[0];
  }

  /** Valid entries at their current lines. */
  lines(): { readonly line: number; readonly origLine: number; readonly value: T }[] {
    return this.entries.filter((e) => e.candidates.length).map((e) => ({ line: e.candidates[0], origLine: e.origLine, value: e.value }));
  }

  get size(): number {
    return this.entries.length;
  }
}
