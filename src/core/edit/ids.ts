/** The edit features' command ids and context key, declared once (package.json is checked against them). */
export const EDIT_COMMANDS = {
  editSelection: "localCode.editSelection",
  acceptHunk: "localCode.edit.acceptHunk",
  rejectHunk: "localCode.edit.rejectHunk",
  acceptAll: "localCode.edit.acceptAll",
  rejectAll: "localCode.edit.rejectAll",
  cancel: "localCode.edit.cancel",
  fix: "localCode.edit.fix",
  document: "localCode.documentSymbol",
  generateTests: "localCode.generateTests",
  /** Internal: the chat's "Apply" on a code block (arguments: ApplyCodeBlockArgs). */
  applyCodeBlock: "localCode.edit.applyCodeBlock",
} as const;

/** True while the active editor's document has a pending edit review. */
export const EDIT_PENDING_CONTEXT = "localCode.editPending";
