/**
 * The first-run walkthrough's ids, defined once: package.json `contributes.walkthroughs` must match
 * (test/unit/walkthrough/manifest.test.ts checks the ids, the commands its buttons run and its media).
 */
export const WALKTHROUGH = {
  /** `contributes.walkthroughs[].id`; VS Code addresses it as `<publisher>.<name>#<id>`. */
  id: "localCode.gettingStarted",
  steps: {
    pickModel: "localCode.gettingStarted.pickModel",
    tryCompletion: "localCode.gettingStarted.tryCompletion",
    askChat: "localCode.gettingStarted.askChat",
    summarize: "localCode.gettingStarted.summarize",
  },
  commands: {
    open: { id: "localCode.openWalkthrough", title: "Get Started" },
    tryCompletion: { id: "localCode.walkthrough.tryCompletion", title: "Try Inline Completion on a Sample" },
    trySummarize: { id: "localCode.walkthrough.trySummarize", title: "Summarize a Sample Function" },
  },
} as const;

/** The argument `workbench.action.openWalkthrough` takes for this extension's walkthrough. */
export function walkthroughRef(extensionId: string): string {
  return `${extensionId}#${WALKTHROUGH.id}`;
}

/** A sample the "try a completion" step opens: the cursor goes at the end, inside the empty body. */
export const COMPLETION_SAMPLE = {
  language: "typescript",
  text:
    "// Local Code Assistant: wait for the grey ghost text after the cursor, then press Tab to accept it.\n" +
    "export function isPalindrome(word: string): boolean {\n  ",
};

/** A sample the "summarize a selection" step opens and selects whole before it summarizes. */
export const SUMMARIZE_SAMPLE = {
  language: "typescript",
  text: [
    "/** Groups items by a key, keeping each group's order. */",
    "export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {",
    "  const groups = new Map<K, T[]>();",
    "  for (const item of items) {",
    "    const k = key(item);",
    "    const group = groups.get(k);",
    "    if (group) group.push(item);",
    "    else groups.set(k, [item]);",
    "  }",
    "  return groups;",
    "}",
    "",
  ].join("\n"),
};
