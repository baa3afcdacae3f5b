/**
 * Looks up, off the keystroke path, the definitions of what is used at the cursor (see
 * core/completion/context/definitions): after the user pauses (a debounce), asks VS Code's
 * definition / type-definition providers, reads the target files (never an excluded one) and keeps
 * the cut snippets for the document. The next keystroke cancels a lookup in flight. Results are
 * keyed by document version and by the names looked up, so typing inside a call's arguments asks
 * nothing again and the prompt's stable part stays the same. No provider: no definitions, the ring only.
 */
import * as vscode from "vscode";
import { definitionSites, definitionSnippet, type DefinitionSnippet, type LookupSite } from "../../core/completion";

const PAUSE_MS = 250;
/** Documents completion runs in (not output panes, settings, git objects). */
const CODE_SCHEMES = new Set(["file", "untitled", "vscode-remote", "vscode-vfs"]);
/** Definitions per site: an overloaded or re-exported name can have several; the first are enough. */
const TARGETS_PER_SITE = 2;
/** The prefix the sites are searched in (the call, the receiver and the enclosing signature). */
const PREFIX_LINES = 60;

type Target = vscode.Location | vscode.LocationLink;

interface Entry {
  version: number;
  key: string;
  definitions: readonly DefinitionSnippet[];
}

export class DefinitionLookup implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly byDocument = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by every keystroke or cursor move: a lookup that sees another value was superseded. */
  private generation = 0;
  private running: Promise<void> | undefined;
  private readonly changed = new vscode.EventEmitter<string>();
  /** New definitions were found for a document (its uri): its completion prompt holds other text now. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly enabled: () => boolean,
    private readonly isExcluded: (uri: vscode.Uri) => boolean,
    private readonly log: { debug(message: string): void },
  ) {
    this.disposables.push(
      vscode.window.onDidChangeTextEditorSelection((event) => this.schedule(event.textEditor)),
      vscode.window.onDidChangeActiveTextEditor((editor) => editor && this.schedule(editor)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.byDocument.delete(doc.uri.toString())),
    );
    if (vscode.window.activeTextEditor) this.schedule(vscode.window.activeTextEditor);
  }

  /** The definitions last found for a document (what the completion prompt uses). */
  definitionsFor(uri: string): readonly DefinitionSnippet[] {
    return this.byDocument.get(uri)?.definitions ?? [];
  }

  /** Resolves when no lookup is waiting or running (tests). */
  async idle(): Promise<void> {
    while (this.timer || this.running) await (this.running ?? new Promise((r) => setTimeout(r, 50)));
  }

  private schedule(editor: vscode.TextEditor): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.enabled() || !CODE_SCHEMES.has(editor.document.uri.scheme)) return;
    const document = editor.document;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const position = editor.selection.active;
      const started = this.generation;
      this.running = this.lookUp(document, position, started)
        .catch((error: unknown) => this.log.debug(`definitions: lookup failed: ${String(error)}`))
        .finally(() => (this.running = undefined));
    }, PAUSE_MS);
  }

  private async lookUp(document: vscode.TextDocument, position: vscode.Position, started: number): Promise<void> {
    const uri = document.uri.toString();
    const version = document.version;
    const firstLine = Math.max(0, position.line - PREFIX_LINES);
    const prefix = document.getText(new vscode.Range(firstLine, 0, position.line, position.character));
    const sites = definitionSites(prefix.replace(/\r\n/g, "\n")).map((s) => ({ ...s, line: s.line + firstLine }));
    const key = sites.map((s) => `${s.kind}:${s.name}`).join(",");
    const cached = this.byDocument.get(uri);
    // Same names as last time: the definitions are the same; nothing to ask.
    if (cached && cached.key === key) {
      this.byDocument.set(uri, { ...cached, version });
      return;
    }
    const definitions: DefinitionSnippet[] = [];
    for (const site of sites) {
      if (this.generation !== started) return; // The next keystroke: this lookup is stale.
      definitions.push(...(await this.definitionsAt(document, site)));
    }
    if (this.generation !== started || document.version !== version) return;
    // Nothing found (a language server still starting, a local name): asked again at the next pause.
    this.byDocument.set(uri, { version, key: definitions.length > 0 ? key : "", definitions });
    if (definitions.length > 0) this.changed.fire(uri);
    this.log.debug(
      `definitions: ${definitions.map((d) => `${d.name} (${d.path})`).join(", ") || "none"} for ${key || "no site"}`,
    );
  }

  private async definitionsAt(document: vscode.TextDocument, site: LookupSite): Promise<DefinitionSnippet[]> {
    const position = new vscode.Position(site.line, site.character);
    // A receiver is usually a local variable: its type's definition is the one in another file.
    const commands =
      site.kind === "receiver"
        ? ["vscode.executeTypeDefinitionProvider", "vscode.executeDefinitionProvider"]
        : ["vscode.executeDefinitionProvider", "vscode.executeTypeDefinitionProvider"];
    for (const command of commands) {
      const targets =
        (await vscode.commands.executeCommand<Target[] | undefined>(command, document.uri, position)) ?? [];
      const elsewhere = targets
        .map((t) => ("targetUri" in t ? { uri: t.targetUri, range: t.targetSelectionRange ?? t.targetRange } : t))
        .filter((t) => t.uri.toString() !== document.uri.toString())
        // The workspace's own code (its node_modules too), not the editor's lib.d.ts for console.log.
        .filter((t) => vscode.workspace.getWorkspaceFolder(t.uri) !== undefined)
        .slice(0, TARGETS_PER_SITE);
      if (elsewhere.length === 0) continue;
      const out: DefinitionSnippet[] = [];
      for (const target of elsewhere) {
        // Checked before the file is opened: an excluded file is never read.
        if (this.isExcluded(target.uri)) continue;
        const targetDoc = await vscode.workspace.openTextDocument(target.uri);
        const text = definitionSnippet(targetDoc.getText().split(/\r?\n/), target.range.start.line);
        if (text)
          out.push({
            uri: target.uri.toString(),
            path: vscode.workspace.asRelativePath(target.uri, false),
            name: site.name,
            text,
          });
      }
      return out;
    }
    return [];
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.generation++;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.changed.dispose();
  }
}
