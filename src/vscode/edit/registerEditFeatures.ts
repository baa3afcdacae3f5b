/**
 * Wires the edit features: Edit Selection, the review's Accept/Reject commands, keys and
 * CodeLens, the "Fix with Local Code" Quick Fix and Document. One call from activate().
 */
import * as vscode from "vscode";
import type { Engine } from "../../core/engine/engine";
import type { ModelInfo } from "../../core/protocol/workerProtocol";
import { EDIT_COMMANDS, EDIT_PENDING_CONTEXT } from "../../core/edit/ids";
import { applyCodeBlock } from "./applyFromChat";
import { EditController, type EditDeps } from "./editController";
import { createEditDecorations, REVIEW_SCHEME, type EditSession } from "./editSession";

export interface EditFeatureDeps {
  engine: Pick<Engine, "generate" | "countTokens">;
  ensureModel: (signal?: AbortSignal) => Promise<ModelInfo>;
  log: EditDeps["log"];
  state: vscode.Memento;
}

export function registerEditFeatures(deps: EditFeatureDeps): vscode.Disposable & { controller: EditController } {
  const decorations = createEditDecorations();
  const reviewChanged = new vscode.EventEmitter<vscode.Uri>();
  const controller = new EditController({ ...deps, decorations }, (uri) => reviewChanged.fire(uri));
  const lenses = new vscode.EventEmitter<void>();
  const disposables: vscode.Disposable[] = [decorations, controller, lenses, reviewChanged];
  const add = (d: vscode.Disposable) => disposables.push(d);

  // The review documents: read-only views of a file with the review's lines in its range.
  add(
    vscode.workspace.registerTextDocumentContentProvider(REVIEW_SCHEME, {
      onDidChange: reviewChanged.event,
      provideTextDocumentContent: (uri) => controller.forReview(uri)?.reviewText() ?? "",
    }),
  );

  const updateContext = () => {
    const editor = vscode.window.activeTextEditor;
    void vscode.commands.executeCommand(
      "setContext",
      EDIT_PENDING_CONTEXT,
      !!(editor && controller.forReview(editor.document.uri)),
    );
  };
  add(
    controller.onDidChange(() => {
      updateContext();
      lenses.fire();
    }),
  );
  add(vscode.window.onDidChangeActiveTextEditor(updateContext));
  // Editors shown again (another tab, a split) get the review's colours back.
  add(vscode.window.onDidChangeVisibleTextEditors(() => controller.all().forEach((s) => s.decorate())));
  add(
    vscode.workspace.onDidChangeTextDocument((event) => {
      const uri = event.document.uri;
      // The review document got its new text: paint it. The real file changed: find the range again.
      if (uri.scheme === REVIEW_SCHEME) controller.forReview(uri)?.decorate();
      else controller.session(event.document)?.render();
    }),
  );
  add(vscode.workspace.onDidCloseTextDocument((document) => void controller.session(document)?.cancel()));
  add(
    vscode.window.tabGroups.onDidChangeTabs((event) => {
      // Closing the review tab rejects what is left (the file was never touched).
      for (const tab of event.closed) {
        if (!(tab.input instanceof vscode.TabInputText) || tab.input.uri.scheme !== REVIEW_SCHEME) continue;
        const session = controller.forReview(tab.input.uri);
        if (session && !session.closing) session.closed();
      }
    }),
  );

  /** The session of a CodeLens's review document, or of the active (review) editor. */
  const sessionFor = (uri?: string): EditSession | undefined => {
    if (uri) return controller.forReview(uri);
    const document = vscode.window.activeTextEditor?.document;
    return document && (controller.forReview(document.uri) ?? controller.session(document));
  };
  /** The hunk a CodeLens names, or the one at (else after) the cursor. */
  const hunkFor = (session: EditSession, id?: number): number | undefined => {
    if (typeof id === "number") return id;
    const editor = vscode.window.activeTextEditor;
    const line =
      editor && editor.document.uri.toString() === session.reviewUri.toString()
        ? editor.selection.active.line - session.region.startLine
        : 0;
    return session.review.hunkNear(line)?.id;
  };
  const decide = (how: "accept" | "reject") => async (uri?: string, id?: number) => {
    const session = sessionFor(uri);
    if (!session || session.review.streaming) return;
    const hunk = hunkFor(session, id);
    if (hunk === undefined) return;
    if (how === "accept") session.review.accept(hunk);
    else session.review.reject(hunk);
    await session.afterDecision();
  };
  const decideAll = (how: "accept" | "reject") => async (uri?: string) => {
    const session = sessionFor(uri);
    if (!session || session.review.streaming) return;
    if (how === "accept") session.review.acceptAll();
    else session.review.rejectAll();
    await session.finish();
  };

  add(
    vscode.commands.registerCommand(EDIT_COMMANDS.editSelection, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage("Local Code: open a file and select the code to edit.");
        return;
      }
      await controller.start({ editor });
    }),
  );
  add(vscode.commands.registerCommand(EDIT_COMMANDS.acceptHunk, decide("accept")));
  add(vscode.commands.registerCommand(EDIT_COMMANDS.rejectHunk, decide("reject")));
  add(vscode.commands.registerCommand(EDIT_COMMANDS.acceptAll, decideAll("accept")));
  add(vscode.commands.registerCommand(EDIT_COMMANDS.rejectAll, decideAll("reject")));
  add(
    vscode.commands.registerCommand(EDIT_COMMANDS.cancel, async (uri?: string) => {
      // While the answer streams: stop it and restore the code. Afterwards: reject what is left.
      const session = sessionFor(uri);
      if (!session) return;
      if (session.review.streaming) await session.cancel();
      else await decideAll("reject")(uri);
    }),
  );
  add(
    vscode.commands.registerCommand(
      EDIT_COMMANDS.fix,
      async (uri?: vscode.Uri, range?: vscode.Range, message?: string) => {
        const editor =
          vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri?.toString()) ??
          vscode.window.activeTextEditor;
        if (!editor || !range || !message) return;
        await controller.start({
          editor,
          range: { startLine: range.start.line, endLine: range.end.line },
          instruction: `Fix this problem reported here: ${message}`,
        });
      },
    ),
  );
  add(
    vscode.commands.registerCommand(EDIT_COMMANDS.applyCodeBlock, (args: unknown) =>
      applyCodeBlock(controller, deps.log, args),
    ),
  );
  add(
    vscode.commands.registerCommand(EDIT_COMMANDS.generateTests, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.uri.scheme === REVIEW_SCHEME) {
        void vscode.window.showInformationMessage("Local Code: open a file and put the cursor in the code to test.");
        return;
      }
      await controller.generateTests(editor);
    }),
  );
  add(
    vscode.commands.registerCommand(EDIT_COMMANDS.document, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      await controller.start({
        editor,
        instruction:
          "Add a documentation comment in this language's usual style (e.g. JSDoc, a Python docstring) to this code. Keep the code itself unchanged.",
      });
    }),
  );

  add(
    vscode.languages.registerCodeLensProvider(
      { scheme: REVIEW_SCHEME },
      {
        onDidChangeCodeLenses: lenses.event,
        provideCodeLenses(document) {
          const session = controller.forReview(document.uri);
          if (!session || session.isEnded) return [];
          const uri = document.uri.toString();
          const start = session.region.startLine;
          const at = (line: number) => new vscode.Range(start + line, 0, start + line, 0);
          if (session.review.streaming)
            return [
              new vscode.CodeLens(at(0), {
                title: "$(loading~spin) Local Code is editing… Cancel (Escape)",
                command: EDIT_COMMANDS.cancel,
                arguments: [uri],
              }),
            ];
          const all = [
            new vscode.CodeLens(at(0), {
              title: "$(check-all) Accept All",
              command: EDIT_COMMANDS.acceptAll,
              arguments: [uri],
              tooltip: "Accept every change (Ctrl+Shift+Alt+Y)",
            }),
            new vscode.CodeLens(at(0), {
              title: "$(close-all) Reject All",
              command: EDIT_COMMANDS.rejectAll,
              arguments: [uri],
              tooltip: "Reject every change (Ctrl+Shift+Alt+N or Escape)",
            }),
          ];
          const hunks = session.review.hunks().flatMap((hunk) => [
            new vscode.CodeLens(at(hunk.startLine), {
              title: "$(check) Accept",
              command: EDIT_COMMANDS.acceptHunk,
              arguments: [uri, hunk.id],
              tooltip: "Accept this change (Alt+Y)",
            }),
            new vscode.CodeLens(at(hunk.startLine), {
              title: "$(close) Reject",
              command: EDIT_COMMANDS.rejectHunk,
              arguments: [uri, hunk.id],
              tooltip: "Reject this change (Alt+N)",
            }),
          ]);
          return [...all, ...hunks];
        },
      },
    ),
  );

  add(
    vscode.languages.registerCodeActionsProvider(
      { pattern: "**" },
      {
        provideCodeActions(document, _range, context) {
          return context.diagnostics
            .filter(
              (d) => d.severity === vscode.DiagnosticSeverity.Error || d.severity === vscode.DiagnosticSeverity.Warning,
            )
            .slice(0, 1)
            .map((diagnostic) => {
              const action = new vscode.CodeAction("Fix with Local Code", vscode.CodeActionKind.QuickFix);
              action.diagnostics = [diagnostic];
              action.command = {
                title: "Fix with Local Code",
                command: EDIT_COMMANDS.fix,
                arguments: [document.uri, diagnostic.range, diagnostic.message],
              };
              return action;
            });
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
  );

  updateContext();
  return Object.assign(vscode.Disposable.from(...disposables.reverse()), { controller });
}
