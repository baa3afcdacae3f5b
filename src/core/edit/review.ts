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

/** Original lines vs proposed lines as review lines, each run of changes one hunk (ids from 0). */
export function diffReviewLines(original: readonly string[], proposed: readonly string[], streaming = false): ReviewLine[] {
  const out: ReviewLine[] = [];
  let hunk = -1;
  let inHunk = false;
  const parts = diffArrays([...original], [...proposed]);
  // While streaming, the original lines after the last proposed one are not reached yet, not removed.
  let lastProposed = parts.length - 1;
  while (streaming && lastProposed >= 0 && parts[lastProposed]!.removed) lastProposed--;
  parts.forEach((part, index) => {
    if (!part.added && !part.removed) {
      inHunk = false;
      for (const text of part.value) out.push({ text, kind: "same", hunk: null });
      return;
    }
    if (streaming && index > lastProposed) {
      for (const text of part.value) out.push({ text, kind: "unreached", hunk: null });
      return;
    }
    if (!inHunk) hunk++;
    inHunk = true;
    for (const text of part.value) out.push({ text, kind: part.added ? "added" : "removed", hunk });
  });
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

  /** The answer stopped early (the user typed in the range): what arrived is the proposal. */
  stopStreaming(): void {
    if (!this.streamingNow) return;
    this.streamingNow = false;
    this.current = this.current.map((l) => (l.kind === "unreached" ? { ...l, kind: "same" } : l));
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
    return hunks.find((h) => h.startLine <= line && line <= h.endLine) ?? hunks.find((h) => h.startLine > line) ?? hunks.at(-1) ?? null;
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

  /**
   * The user changed lines [startLine, endLine] of the shown lines into `newLines` (typed inside
   * the review): those lines become plain lines of the range; other hunks keep their state.
   */
  foreignChange(startLine: number, endLine: number, newLines: readonly string[]): void {
    const replaced = newLines.map((text): ReviewLine => ({ text, kind: "same", hunk: null }));
    this.current.splice(startLine, endLine - startLine + 1, ...replaced);
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
