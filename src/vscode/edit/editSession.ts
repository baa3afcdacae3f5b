/**
 * One pending edit review. The real document is not touched while the review is pending (so
 * auto-save, other extensions and the user's typing never see half-decided text): the review is
 * shown in a read-only "review" document of the whole file whose range holds the review's merged
 * lines (unchanged, removed, added), decorated with the diff theme colours. Resolving applies the
 * result to the real document as one WorkspaceEdit (one undo step) and shows the real file again.
 * Where the range is in the real document is found again at every step (src/core/edit/relocate.ts),
 * so changes above or below it are fine; a change of the range itself ends the review with the reason.
 */
import * as vscode from "vscode";
import { EditReview, relocateRange, splitLines, type ReviewLine } from "../../core/edit";

export const REVIEW_SCHEME = "localcode-edit";

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

export type SessionEnd = "applied" | "unchanged" | "cancelled" | "closed" | "stale" | "failed";

let nextId = 1;

export class EditSession implements vscode.Disposable {
  readonly review: EditReview;
  readonly id = nextId++;
  /** The review document's address: the real file's name, so the tab says which file it is. */
  readonly reviewUri: vscode.Uri;
  private startLine: number;
  private ended = false;
  private stopping = false;
  private readonly endListeners: ((how: SessionEnd, detail?: string) => void)[] = [];
  private readonly changeListeners: (() => void)[] = [];
  readonly abort = new AbortController();

  constructor(
    readonly document: vscode.TextDocument,
    startLine: number,
    original: readonly string[],
    private readonly decorations: EditDecorations,
    readonly title: string,
    /** Tells the review document's provider that its text changed. */
    private readonly contentChanged: (uri: vscode.Uri) => void,
  ) {
    this.review = new EditReview(original);
    this.startLine = startLine;
    const name = document.uri.path.split("/").pop() || "Untitled";
    this.reviewUri = vscode.Uri.from({
      scheme: REVIEW_SCHEME,
      path: `/${this.id}/${name}`,
      query: document.uri.toString(),
    });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The range's first line in the real document and in the review document. */
  get region(): { startLine: number } {
    return { startLine: this.startLine };
  }

  onEnd(listener: (how: SessionEnd, detail?: string) => void): void {
    this.endListeners.push(listener);
  }

  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** Finds the range in the real document again; the reason when it is gone. */
  relocate(): string | null {
    const where = relocateRange(this.review.original, this.startLine, splitLines(this.document.getText()));
    if (!where.ok) return where.reason;
    this.startLine = where.startLine;
    return null;
  }

  /** The review document's text: the real file with the range replaced by the review's lines. */
  reviewText(): string {
    const lines = splitLines(this.document.getText());
    const shown = this.review.lines().map((l) => l.text);
    const eol = this.document.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n";
    return [
      ...lines.slice(0, this.startLine),
      ...shown,
      ...lines.slice(this.startLine + this.review.original.length),
    ].join(eol);
  }

  /** Opens the review document in the real editor's column (read-only, the real file's language). */
  async show(column: vscode.ViewColumn | undefined): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(this.reviewUri);
    if (doc.languageId !== this.document.languageId)
      await vscode.languages.setTextDocumentLanguage(doc, this.document.languageId).then(undefined, () => undefined);
    const line = this.startLine;
    await vscode.window.showTextDocument(doc, {
      viewColumn: column,
      preview: false,
      selection: new vscode.Range(line, 0, line, 0),
    });
    this.decorate();
  }

  /** The review changed: the provider serves the new text, and decorations follow once it is shown. */
  render(): void {
    if (this.ended || this.stopping) return;
    const stale = this.relocate();
    if (stale) {
      void this.stop("stale", stale);
      return;
    }
    this.contentChanged(this.reviewUri);
    // A decision may leave the text as it was (an added line kept): then no change event comes.
    this.decorate();
  }

  /** Paints the kinds of the review's lines on every visible review editor. */
  decorate(): void {
    const lines = this.review.lines();
    const ranges = (kind: ReviewLine["kind"]) =>
      lines.flatMap((l, i) =>
        l.kind === kind ? [new vscode.Range(this.startLine + i, 0, this.startLine + i, 0)] : [],
      );
    for (const editor of vscode.window.visibleTextEditors.filter(
      (e) => e.document.uri.toString() === this.reviewUri.toString(),
    )) {
      // Only once the editor shows the current text: else the lines would be off by the difference.
      if (!this.ended && editor.document.getText() !== this.reviewText()) continue;
      editor.setDecorations(this.decorations.removed, this.ended ? [] : ranges("removed"));
      editor.setDecorations(this.decorations.added, this.ended ? [] : ranges("added"));
      editor.setDecorations(this.decorations.unreached, this.ended ? [] : ranges("unreached"));
    }
    for (const listener of this.changeListeners) listener();
  }

  /** After a decision: show the new state, or apply the result once every hunk is decided. */
  async afterDecision(): Promise<void> {
    if (this.review.resolved) await this.finish();
    else this.render();
  }

  /** Applies the result to the real document as one WorkspaceEdit and shows the real file again. */
  async finish(): Promise<SessionEnd> {
    if (this.ended || this.stopping) return "cancelled";
    const stale = this.relocate();
    if (stale) return this.stop("stale", stale);
    const result = this.review.result();
    const original = this.review.original;
    if (result.join("\n") === original.join("\n")) return this.stop("unchanged");
    const edit = new vscode.WorkspaceEdit();
    const { range, text } = this.rangeEdit(result);
    edit.replace(this.document.uri, range, text);
    this.stopping = true;
    const column = await this.closeReview();
    const ok = await vscode.workspace.applyEdit(edit);
    await vscode.window.showTextDocument(this.document, {
      viewColumn: column,
      selection: new vscode.Range(this.startLine, 0, this.startLine, 0),
    });
    this.end(ok ? "applied" : "failed");
    return ok ? "applied" : "failed";
  }

  /** Escape / cancel / reject: stop the answer, close the review; the real file was never touched. */
  async cancel(): Promise<void> {
    await this.stop("cancelled");
  }

  /** The review tab was closed by the user: like Reject All. */
  closed(): void {
    this.abort.abort();
    this.end("closed");
  }

  private async stop(how: SessionEnd, detail?: string): Promise<SessionEnd> {
    this.abort.abort();
    if (this.ended || this.stopping) return how;
    this.stopping = true;
    const column = await this.closeReview();
    await vscode.window
      .showTextDocument(this.document, {
        viewColumn: column,
        selection: new vscode.Range(this.startLine, 0, this.startLine, 0),
      })
      .then(undefined, () => undefined);
    this.end(how, detail);
    return how;
  }

  /** Closes the review's tabs; the column the first one was in (for the real file). */
  private async closeReview(): Promise<vscode.ViewColumn | undefined> {
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === this.reviewUri.toString());
    const column = tabs[0]?.group.viewColumn;
    this.closing = true;
    try {
      if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
    } finally {
      this.closing = false;
    }
    return column;
  }

  /** True while the session closes its own review tab (not the user closing it). */
  closing = false;

  private end(how: SessionEnd, detail?: string): void {
    if (this.ended) return;
    this.abort.abort();
    this.ended = true;
    this.decorate();
    for (const listener of this.endListeners) listener(how, detail);
  }

  /** The edit replacing the range's original lines in the real document with `lines`. */
  private rangeEdit(lines: readonly string[]): { range: vscode.Range; text: string } {
    const doc = this.document;
    const eol = doc.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n";
    const start = this.startLine;
    const count = this.review.original.length;
    if (count > 0 && lines.length > 0)
      return {
        range: new vscode.Range(start, 0, start + count - 1, doc.lineAt(start + count - 1).range.end.character),
        text: lines.join(eol),
      };
    if (count > 0) {
      if (start + count < doc.lineCount) return { range: new vscode.Range(start, 0, start + count, 0), text: "" };
      const from = start > 0 ? doc.lineAt(start - 1).range.end : new vscode.Position(0, 0);
      return { range: new vscode.Range(from, doc.lineAt(doc.lineCount - 1).range.end), text: "" };
    }
    return { range: new vscode.Range(start, 0, start, 0), text: lines.length > 0 ? lines.join(eol) + eol : "" };
  }

  dispose(): void {
    if (!this.ended) this.end("cancelled");
  }
}
