/**
 * The state of one edit review: the range's original lines merged with the proposal, hunk by
 * hunk. The editor shows exactly `lines()` in place of the range: unchanged lines, removed lines
 * (red) and added lines (green) of each undecided hunk. Accepting a hunk drops its removed lines,
 * rejecting drops its added lines; `result()` is the range's final text (undecided hunks count as
 * rejected). The line diff is jsdiff's (`diff` package).
 */
import { diffArrays } from "diff";

export type LineKind = "same" | "removed" | "added" | "unreached";

export interface ReviewLine {
  text: string;
  kind: LineKind;
  /** The hunk a removed/added line belongs to; null for other lines. */
  hunk: number | null;
}

export interface HunkView {
  id: number;
  /** First and last line of the hunk in `lines()` (0-based, inclusive). */
  startLine: number;
  endLine: number;
  removed: number;
  added: number;
}

/**
 * Original lines vs proposed lines as review lines, each run of changes one hunk (ids from 0).
 * While streaming, the proposal is a prefix of the rewrite: it is walked line by line against the
 * original (a proposed line found ahead marks the original lines skipped as removed) and the
 * original lines past the last match are "unreached", so the code below is not shown as deleted
 * before the model gets there. The final proposal gets jsdiff's minimal diff.
 */
export function diffReviewLines(
  original: readonly string[],
  proposed: readonly string[],
  streaming = false,
): ReviewLine[] {
  const out: ReviewLine[] = [];
  let hunk = -1;
  let inHunk = false;
  const push = (text: string, kind: LineKind) => {
    if (kind === "added" || kind === "removed") {
      if (!inHunk) hunk++;
      inHunk = true;
      out.push({ text, kind, hunk });
    } else {
      inHunk = false;
      out.push({ text, kind, hunk: null });
    }
  };
  if (streaming) {
    let next = 0;
    for (const line of proposed) {
      // Short lines ("}", blank) only match in place: matched ahead they would eat real code.
      const at = line.trim().length <= 2 ? (original[next] === line ? next : -1) : original.indexOf(line, next);
      if (at < 0) {
        push(line, "added");
        continue;
      }
      for (const removed of original.slice(next, at)) push(removed, "removed");
      push(line, "same");
      next = at + 1;
    }
    for (const rest of original.slice(next)) push(rest, "unreached");
    return out;
  }
  for (const part of diffArrays([...original], [...proposed])) {
    const kind: LineKind = part.added ? "added" : part.removed ? "removed" : "same";
    for (const text of part.value) push(text, kind);
  }
  return out;
}

export class EditReview {
  private current: ReviewLine[];
  private streamingNow = true;

  constructor(readonly original: readonly string[]) {
    this.current = original.map((text) => ({ text, kind: "unreached", hunk: null }));
  }

  get streaming(): boolean {
    return this.streamingNow;
  }

  /** A new (partial while streaming) proposal; decisions are only taken once it is final. */
  propose(proposed: readonly string[], final: boolean): void {
    if (!this.streamingNow) throw new Error("the proposal is final already");
    this.streamingNow = !final;
    this.current = diffReviewLines(this.original, proposed, !final);
  }

  lines(): readonly ReviewLine[] {
    return this.current;
  }

  text(): string {
    return this.current.map((l) => l.text).join("\n");
  }

  hunks(): HunkView[] {
    const byId = new Map<number, HunkView>();
    this.current.forEach((line, index) => {
      if (line.hunk === null) return;
      const view = byId.get(line.hunk) ?? { id: line.hunk, startLine: index, endLine: index, removed: 0, added: 0 };
      view.endLine = index;
      if (line.kind === "removed") view.removed++;
      if (line.kind === "added") view.added++;
      byId.set(line.hunk, view);
    });
    return [...byId.values()];
  }

  /** The pending hunk on a line of `lines()`, or the first one below it, else the last above it. */
  hunkNear(line: number): HunkView | null {
    const hunks = this.hunks();
    return (
      hunks.find((h) => h.startLine <= line && line <= h.endLine) ??
      hunks.find((h) => h.startLine > line) ??
      hunks.at(-1) ??
      null
    );
  }

  get resolved(): boolean {
    return !this.streamingNow && this.current.every((l) => l.hunk === null);
  }

  accept(id: number): boolean {
    return this.decide((l) => l.hunk === id, "added");
  }

  reject(id: number): boolean {
    return this.decide((l) => l.hunk === id, "removed");
  }

  acceptAll(): boolean {
    return this.decide(() => true, "added");
  }

  rejectAll(): boolean {
    return this.decide(() => true, "removed");
  }

  /** The range's text if it were resolved now: undecided hunks count as rejected. */
  result(): string[] {
    return this.current.filter((l) => l.kind !== "added").map((l) => l.text);
  }

  private decide(match: (line: ReviewLine) => boolean, keep: "added" | "removed"): boolean {
    if (this.streamingNow) return false;
    let changed = false;
    const next: ReviewLine[] = [];
    for (const line of this.current) {
      if (line.hunk === null || !match(line)) {
        next.push(line);
        continue;
      }
      changed = true;
      if (line.kind === keep) next.push({ text: line.text, kind: "same", hunk: null });
    }
    this.current = next;
    return changed;
  }
}
