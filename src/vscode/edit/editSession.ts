/**
 * One pending edit review in one document: the range's lines are replaced in the document by the
 * review's merged lines (unchanged, removed, added) and decorated with the diff theme colours.
 * Everything shown while pending is one undo group (no undo stops between the review's own
 * edits); resolving puts the original text back inside that group and applies the result as one
 * WorkspaceEdit, so a single Undo returns to the code as it was. The logic of hunks lives in
 * src/core/edit/review.ts; this class only mirrors it into the editor and follows the document.
 */
import * as vscode from "vscode";
import { EditReview, relocateRange, splitLines, type ReviewLine } from "../../core/edit";

export interface EditDecorations {
  removed: vscode.TextEditorDecorationType;
  added: vscode.TextEditorDecorationType;
  unreached: vscode.TextEditorDecorationType;
}

export function createEditDecorations(): EditDecorations & vscode.Disposable {
  const removed = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("diffEditor.removedLineBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.deletedForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
    textDecoration: "line-through",
  });
  const added = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("diffEditor.insertedLineBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.addedForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  const unreached = vscode.window.createTextEditorDecorationType({ isWholeLine: true, opacity: "0.55" });
  return { removed, added, unreached, dispose: () => [removed, added, unreached].forEach((d) => d.dispose()) };
}

export type SessionEnd = "applied" | "unchanged" | "cancelled" | "undone" | "closed" | "saved" | "detached" | "failed";

export class EditSession implements vscode.Disposable {
  readonly review: EditReview;
  /** First document line of the shown range, and how many lines it occupies now. */
  private startLine: number;
  private shownCount: number;
  private ownEdit = false;
  private firstEdit = true;
  private rendering: Promise<void> | null = null;
  private renderAgain = false;
  private ended = false;
  private readonly endListeners: ((how: SessionEnd) => void)[] = [];
  private readonly changeListeners: (() => void)[] = [];
  readonly abort = new AbortController();

  constructor(
    readonly document: vscode.TextDocument,
    startLine: number,
    original: readonly string[],
    private readonly decorations: EditDecorations,
    /** Shown to the user in the CodeLens line ("Edit: make it async"). */
    readonly title: string,
  ) {
    this.review = new EditReview(original);
    this.startLine = startLine;
    this.shownCount = original.length;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The document lines of the shown range (start, count). */
  get region(): { startLine: number; count: number } {
    return { startLine: this.startLine, count: this.shownCount };
  }

  onEnd(listener: (how: SessionEnd) => void): void {
    this.endListeners.push(listener);
  }

  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** Before the first proposal is shown: the range must still hold the original lines (else find them). */
  checkRange(): string | null {
    const lines = splitLines(this.document.getText());
    const where = relocateRange(this.review.original, this.startLine, lines);
    if (!where.ok) return where.reason;
    this.startLine = where.startLine;
    return null;
  }

  /** Show the review's lines now (coalesced: one edit in flight, the latest state wins). */
  render(): Promise<void> {
    if (this.rendering) {
      this.renderAgain = true;
      return this.rendering;
    }
    this.rendering = (async () => {
      do {
        this.renderAgain = false;
        if (this.ended) return;
        await this.replaceShown(this.review.lines().map((l) => l.text), false);
        this.decorate();
      } while (this.renderAgain);
    })().finally(() => (this.rendering = null));
    return this.rendering;
  }

  /** Paints the kinds of the shown lines on every visible editor of the document. */
  decorate(): void {
    const lines = this.review.lines();
    const ranges = (kind: ReviewLine["kind"]) =>
      lines.flatMap((l, i) => (l.kind === kind ? [new vscode.Range(this.startLine + i, 0, this.startLine + i, 0)] : []));
    for (const editor of vscode.window.visibleTextEditors.filter((e) => e.document === this.document)) {
      editor.setDecorations(this.decorations.removed, this.ended ? [] : ranges("removed"));
      editor.setDecorations(this.decorations.added, this.ended ? [] : ranges("added"));
      editor.setDecorations(this.decorations.unreached, this.ended ? [] : ranges("unreached"));
    }
    for (const listener of this.changeListeners) listener();
  }

  /** After a decision: show the new state, or apply the result once every hunk is decided. */
  async afterDecision(): Promise<void> {
    if (this.review.resolved) await this.finish();
    else await this.render();
  }

  /** Puts the original text back (inside the review's undo group) and applies the result as one WorkspaceEdit. */
  async finish(): Promise<SessionEnd> {
    await this.rendering;
    const result = this.review.result();
    const original = this.review.original;
    await this.replaceShown(original, true);
    if (result.join("\n") === original.join("\n")) return this.end("unchanged");
    const edit = new vscode.WorkspaceEdit();
    const { range, text } = this.regionEdit(original.length, result);
    edit.replace(this.document.uri, range, text);
    this.ownEdit = true;
    try {
      if (!(await vscode.workspace.applyEdit(edit))) return this.end("failed");
    } finally {
      this.ownEdit = false;
    }
    return this.end("applied");
  }

  /** Escape / cancel: stop the answer and show the code as it was before the request. */
  async cancel(): Promise<void> {
    this.abort.abort();
    await this.rendering;
    if (this.ended) return;
    await this.replaceShown(this.review.original, true);
    this.end("cancelled");
  }

  /** The edit that makes the document what it should be when saved now: undecided hunks rejected. */
  saveEdit(): vscode.TextEdit {
    this.abort.abort();
    this.review.rejectAll();
    // While streaming nothing is decided: result() is the original.
    const { range, text } = this.regionEdit(this.shownCount, this.review.result());
    this.end("saved");
    return vscode.TextEdit.replace(range, text);
  }

  /** A change of the document that the session did not make. */
  documentChanged(event: vscode.TextDocumentChangeEvent): void {
    if (this.ended || this.ownEdit || event.contentChanges.length === 0) return;
    if (event.reason === vscode.TextDocumentChangeReason.Undo || event.reason === vscode.TextDocumentChangeReason.Redo) {
      // Undo takes back the review's edits as one group: the code is as it was, the review is over.
      this.abort.abort();
      this.end("undone");
      return;
    }
    // Later changes first keep the earlier changes' line numbers valid.
    const changes = [...event.contentChanges].sort((a, b) => b.range.start.line - a.range.start.line);
    let touched = false;
    for (const change of changes) {
      const added = change.text.split("\n").length - 1;
      const delta = added - (change.range.end.line - change.range.start.line);
      const last = this.startLine + this.shownCount - 1;
      if (change.range.end.line < this.startLine) {
        this.startLine += delta;
      } else if (change.range.start.line > last) {
        continue;
      } else if (change.range.start.line >= this.startLine && change.range.end.line <= last) {
        // Typed inside the review: those lines become the user's own, other hunks stay.
        const from = change.range.start.line - this.startLine;
        const to = change.range.end.line - this.startLine;
        const newLines = Array.from({ length: to - from + 1 + delta }, (_, i) => this.document.lineAt(this.startLine + from + i).text);
        if (this.review.streaming) {
          this.abort.abort();
          this.review.stopStreaming();
        }
        this.review.foreignChange(from, to, newLines);
        this.shownCount += delta;
        touched = true;
      } else {
        // An edit across the range's edge: nothing can be told apart any more; leave the text as it is.
        this.abort.abort();
        this.end("detached");
        return;
      }
    }
    if (touched && this.review.resolved) void this.finish();
    else this.decorate();
  }

  /** The document is gone (closed without saving): nothing to put back. */
  closed(): void {
    this.abort.abort();
    this.end("closed");
  }

  private end(how: SessionEnd): SessionEnd {
    if (this.ended) return how;
    this.abort.abort();
    this.ended = true;
    this.decorate();
    for (const listener of this.endListeners) listener(how);
    return how;
  }

  private regionEdit(oldCount: number, lines: readonly string[]): { range: vscode.Range; text: string } {
    const doc = this.document;
    const eol = doc.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n";
    const start = this.startLine;
    if (oldCount > 0 && lines.length > 0)
      return { range: new vscode.Range(start, 0, start + oldCount - 1, doc.lineAt(start + oldCount - 1).range.end.character), text: lines.join(eol) };
    if (oldCount > 0) {
      if (start + oldCount < doc.lineCount) return { range: new vscode.Range(start, 0, start + oldCount, 0), text: "" };
      const from = start > 0 ? doc.lineAt(start - 1).range.end : new vscode.Position(0, 0);
      return { range: new vscode.Range(from, doc.lineAt(doc.lineCount - 1).range.end), text: "" };
    }
    if (lines.length === 0) return { range: new vscode.Range(start, 0, start, 0), text: "" };
    if (start < doc.lineCount) return { range: new vscode.Range(start, 0, start, 0), text: lines.join(eol) + eol };
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    return { range: new vscode.Range(end, end), text: eol + lines.join(eol) };
  }

  /**
   * Replaces the shown lines without undo stops between the review's edits (one undo group);
   * the first edit starts the group after the user's own last change.
   */
  private async replaceShown(lines: readonly string[], closing: boolean): Promise<void> {
    const { range, text } = this.regionEdit(this.shownCount, lines);
    if (this.document.getText(range) === text) {
      this.shownCount = lines.length;
      return;
    }
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === this.document);
    this.ownEdit = true;
    try {
      let ok: boolean;
      if (editor) {
        ok = await editor.edit((builder) => builder.replace(range, text), { undoStopBefore: this.firstEdit, undoStopAfter: closing });
      } else {
        const edit = new vscode.WorkspaceEdit();
        edit.replace(this.document.uri, range, text);
        ok = await vscode.workspace.applyEdit(edit);
      }
      if (!ok) throw new Error("the editor refused the edit");
      this.firstEdit = false;
      this.shownCount = lines.length;
    } finally {
      this.ownEdit = false;
    }
  }

  dispose(): void {
    if (!this.ended) this.end("cancelled");
  }
}
