/**
 * Feeds the extra-context ring from what the user does in other files (opens, edits, saves), and
 * promotes queued chunks only while the user is idle: changing the ring changes the start of the
 * prompt, which costs a full re-evaluation, so it must not happen between keystrokes.
 */
import * as vscode from "vscode";
import { chunkAround, type ChunkSource, type ExtraContextRing } from "../../core/completion";

const IDLE_MS = 1500;
const CHUNK_LINES = 64;

export class ContextFeeder implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private lastKeystroke = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly ring: ExtraContextRing) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => editor && this.enqueue(editor.document, editor.selection.active.line, "open")),
      vscode.workspace.onDidSaveTextDocument((doc) => this.enqueue(doc, this.cursorLine(doc), "save")),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length === 0) return;
        this.lastKeystroke = Date.now();
        // The edited region of a file the user is not in front of is context for the one they are.
        if (event.document !== vscode.window.activeTextEditor?.document) this.enqueue(event.document, event.contentChanges[0].range.start.line, "edit");
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
    this.timer = setInterval(() => {
      if (Date.now() - this.lastKeystroke >= IDLE_MS) this.ring.promote();
    }, IDLE_MS);
  }

  private cursorLine(doc: vscode.TextDocument): number {
    return vscode.window.visibleTextEditors.find((e) => e.document === doc)?.selection.active.line ?? 0;
  }

  private enqueue(doc: vscode.TextDocument, line: number, source: ChunkSource): void {
    if (doc.uri.scheme !== "file" && doc.uri.scheme !== "vscode-remote") return;
    const lines = doc.getText().split(/\r?\n/);
    this.ring.enqueue({ uri: doc.uri.toString(), path: vscode.workspace.asRelativePath(doc.uri, false), text: chunkAround(lines, line, CHUNK_LINES), source });
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
