/**
 * `localCode.context.exclude` for the adapters: whether a document may be read into any prompt.
 * The matcher is rebuilt only when the globs change (settings are read on every call).
 */
import * as vscode from "vscode";
import { excludeMatcher, type ExcludeMatcher } from "../../core/context/exclude";

export class ContextExclude {
  private key = "";
  private matcher: ExcludeMatcher = () => false;

  constructor(private readonly globs: () => readonly string[]) {}

  /** True when the path (workspace-relative, or absolute outside the workspace) must not be read. */
  readonly isExcludedPath = (path: string): boolean => {
    const globs = this.globs();
    const key = JSON.stringify(globs);
    if (key !== this.key) {
      this.key = key;
      this.matcher = excludeMatcher(globs).matches;
    }
    return this.matcher(path);
  };

  /** The same for a document's URI; untitled documents have no path to match and are allowed. */
  readonly isExcluded = (uri: vscode.Uri): boolean => {
    if (uri.scheme === "untitled") return false;
    return this.isExcludedPath(relativePath(uri));
  };
}

export function relativePath(uri: vscode.Uri): string {
  return uri.scheme === "file" || uri.scheme === "vscode-remote"
    ? vscode.workspace.asRelativePath(uri, false)
    : uri.path;
}
