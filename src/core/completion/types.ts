/** Data shapes shared by the completion stages. */

export type Eol = "\n" | "\r\n";

export interface IndentStyle {
  useTabs: boolean;
  /** Columns per indentation level (VS Code's tabSize / indentSize). */
  size: number;
}

interface DocumentMeta {
  uri: string;
  /** Workspace-relative path shown to the model in file headers; derived from uri when absent. */
  path?: string;
  languageId: string;
  eol: Eol;
  indent: IndentStyle;
}

/** The document at the cursor: either whole text plus cursor offset, or the two halves. */
export type DocumentSnapshot = DocumentMeta & ({ text: string; cursor: number } | { prefix: string; suffix: string });

/** What the editor shows; text uses the document's line endings. */
export interface GhostText {
  text: string;
  /** Characters right of the cursor (same line) the insertion replaces, e.g. an auto-closed ")". */
  replaceRight: number;
}
