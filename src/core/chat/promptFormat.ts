/** How questions and their attached context are written into chat messages for the model. */
import type { ContextItem } from "./types";

/** A fence longer than any backtick run in `content`, so attached code cannot close it early. */
export function fenceFor(content: string): string {
  let longest = 0;
  for (const match of content.matchAll(/`+/g)) {
    longest = Math.max(longest, match[0].length);
  }
  return "`".repeat(Math.max(3, longest + 1));
}

export function describeContext(item: Pick<ContextItem, "kind" | "label" | "path" | "range">): string {
  const name = item.path ?? item.label;
  const lines = item.range
    ? item.range.startLine === item.range.endLine
      ? ` (line ${item.range.startLine})`
      : ` (lines ${item.range.startLine}-${item.range.endLine})`
    : "";
  const what = item.kind === "selection" ? "Selection from" : item.kind === "snippet" ? "Snippet" : "File";
  return `${what} ${name}${lines}`;
}

export function formatContextItem(item: ContextItem): string {
  const fence = fenceFor(item.content);
  const language = (item.languageId ?? "").replace(/[^A-Za-z0-9_+#.-]/g, "");
  const body = item.content.endsWith("\n") ? item.content : `${item.content}\n`;
  return `${describeContext(item)}:\n${fence}${language}\n${body}${fence}`;
}

/** The user message: attached context first, then the question. */
export function formatQuestion(text: string, context: readonly ContextItem[]): string {
  if (context.length === 0) {
    return text;
  }
  return `${context.map(formatContextItem).join("\n\n")}\n\n${text}`;
}

/** The same question with its attachments named but not included (for older turns under budget pressure). */
export function formatQuestionCompact(text: string, context: readonly ContextItem[]): string {
  if (context.length === 0) {
    return text;
  }
  return `(Attached earlier, not repeated here: ${context.map(describeContext).join("; ")})\n\n${text}`;
}

/** Keep the head and tail of an over-long text, with a marker saying how much was cut. */
export function truncateMiddle(text: string, maxChars: number): string {
  if (text.length <= maxChars) {
    return text;
  }
  const marker = (omitted: number) => `\n[… ${omitted} characters omitted …]\n`;
  const room = Math.max(0, maxChars - marker(text.length).length);
  const head = Math.ceil(room * 0.7);
  const tail = room - head;
  return `${text.slice(0, head)}${marker(text.length - room)}${tail > 0 ? text.slice(text.length - tail) : ""}`;
}
