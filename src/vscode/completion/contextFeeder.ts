/**
 * Feeds the extra-context ring from what the user does in other files (opens, edits, saves), and
 * promotes queued chunks only while the user is idle: changing the ring changes the start of the
 * prompt, which costs a full re-evaluation, so it must not happen between keystrokes.
 * Copies are noticed by reading the clipboard while idle (VS Code has no clipboard event), in the
 * desktop app only.
 */
import * as vscode from "vscode";
import { chunkAround, copiedChunk, type ChunkSource, type ExtraContextRing } from "../../core/completion";

const IDLE_MS = 1500;
const CHUNK_LINES = 64;

export class ContextFeeder implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private lastKeystroke = 0;
  private readonly timer: NodeJS.Timeout;
  /** The clipboard as last seen; undefined until first read (what was there before is not a copy). */
  private lastClipboard: string | undefined;
  private readingClipboard = false;
  private readonly readsClipboard: boolean;

  /** `isExcluded`: localCode.context.exclude; such files are never read into the ring. */
  constructor(
    private readonly ring: ExtraContextRing,
    private readonly isExcluded: (uri: vscode.Uri) => boolean = () => false,
    private readonly isExcludedPath: (path: string) => boolean = () => false,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(
        (editor) => editor && this.enqueue(editor.document, editor.selection.active.line, "open"),
      ),
      vscode.workspace.onDidSaveTextDocument((doc) => this.enqueue(doc, this.cursorLine(doc), "save")),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length === 0) return;
        this.lastKeystroke = Date.now();
        // The edited region of a file the user is not in front of is context for the one they are.
        if (event.document !== vscode.window.activeTextEditor?.document)
          this.enqueue(event.document, event.contentChanges[0].range.start.line, "edit");
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.ring.removeUri(doc.uri.toString())),
    );
    // Leaving a file: what was around the cursor there is what the user just worked on.
    let previous = vscode.window.activeTextEditor;
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (previous) this.enqueue(previous.document, previous.selection.active.line, "edit");
        previous = editor;
      }),
    );
    // Only where reading is silent: a browser-hosted VS Code (code-server, vscode.dev) shows an error
    // notification when the page may not read the clipboard, and a popup while typing is never acceptable.
    this.readsClipboard = vscode.env.uiKind === vscode.UIKind.Desktop;
    if (this.readsClipboard) {
      this.disposables.push(
        vscode.window.onDidChangeWindowState((state) => state.focused && void this.checkClipboard()),
      );
      void this.checkClipboard();
    }
    this.timer = setInterval(() => {
      if (Date.now() - this.lastKeystroke < IDLE_MS) return;
      if (!this.readsClipboard) return void this.ring.promote();
      void this.checkClipboard().finally(() => this.ring.promote());
    }, IDLE_MS);
  }

  private async checkClipboard(): Promise<void> {
    if (this.readingClipboard) return;
    this.readingClipboard = true;
    try {
      const text = await vscode.env.clipboard.readText();
      const first = this.lastClipboard === undefined;
      if (text === this.lastClipboard) return;
      this.lastClipboard = text;
      if (first) return;
      const documents = vscode.workspace.textDocuments
        .filter((d) => d.uri.scheme === "file" || d.uri.scheme === "vscode-remote")
        .map((d) => ({
          uri: d.uri.toString(),
          path: vscode.workspace.asRelativePath(d.uri, false),
          text: d.getText(),
        }));
      const chunk = copiedChunk(text, documents, CHUNK_LINES, this.isExcludedPath);
      if (chunk) this.ring.enqueue(chunk);
    } catch {
      // A browser-hosted VS Code may deny clipboard reads: context from copies is then simply absent.
    } finally {
      this.readingClipboard = false;
    }
  }

  private cursorLine(doc: vscode.TextDocument): number {
    return vscode.window.visibleTextEditors.find((e) => e.document === doc)?.selection.active.line ?? 0;
  }

  private enqueue(doc: vscode.TextDocument, line: number, source: ChunkSource): void {
    if (doc.uri.scheme !== "file" && doc.uri.scheme !== "vscode-remote") return;
    if (this.isExcluded(doc.uri)) return;
    const lines = doc.getText().split(/\r?\n/);
    this.ring.enqueue({
      uri: doc.uri.toString(),
      path: vscode.workspace.asRelativePath(doc.uri, false),
      text: chunkAround(lines, line, CHUNK_LINES),
      source,
    });
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
