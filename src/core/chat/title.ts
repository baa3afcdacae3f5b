/** Conversation titles made from the first question, without asking the model. */

export const DEFAULT_TITLE = "New chat";
const MAX_TITLE_CHARS = 48;

/**
 * A one-line title from a question: code fences and inline markdown removed, whitespace collapsed,
 * cut on a word boundary with an ellipsis. Falls back to "New chat" when nothing readable is left.
 */
export function makeTitle(question: string, maxChars = MAX_TITLE_CHARS): string {
  const withoutFences = question.replace(/(^|\n)\s*(`{3,}|~{3,})[^\n]*\n[\s\S]*?(\n\s*\2[^\n]*(?=\n|$)|$)/g, "$1 ");
  const firstLine =
    withoutFences
      .split("\n")
      .map((line) => line.trim())
      .find((line) => line.length > 0) ?? "";
  const plain = firstLine
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*_~#>]+/g, "")
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  if (plain.length === 0) {
    return DEFAULT_TITLE;
  }
  const chars = Array.from(plain);
  if (chars.length <= maxChars) {
    return plain;
  }
  const cut = chars.slice(0, maxChars - 1).join("");
  const space = cut.lastIndexOf(" ");
  const base = space >= maxChars / 2 ? cut.slice(0, space) : cut;
  return `${base.replace(/[\s.,;:!?-]+$/, "")}…`;
}

/** Clean a title the user typed (rename). */
export function cleanTitle(title: string): string {
  const cleaned = title
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return cleaned.length === 0 ? DEFAULT_TITLE : Array.from(cleaned).slice(0, 200).join("");
}
